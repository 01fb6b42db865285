import type { Logger } from 'pino';
import { EnvError, readRuntimeEnv, type RuntimeEnv } from './env.js';
import { jsonParseHasKeyBug } from './json-text.js';
import { bootstrapLogger, LogSecrets } from './logger.js';
import { OptionsError } from './options.js';

/**
 * A long-lived part of an add-on. Constructors only assign; side effects happen in start/stop.
 * `start` gets a signal that is aborted when the add-on is asked to stop: a start that can wait long (for a
 * child process, say) ends early then. Its service is stopped once its start has settled, like the others.
 */
export interface Service {
  readonly name: string;
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

/** Why {@link ServiceGroup.start} gave up: a stop was requested first, so this is no failure of its own. */
export class StartInterrupted extends Error {
  override readonly name = 'StartInterrupted';
}

/**
 * Starts services in order and stops them in reverse; a failed start stops what had started. A stop
 * during the start also stops the service whose start was in progress (after that start settled), and
 * nothing after it is started.
 */
export class ServiceGroup {
  readonly #started: Service[] = [];
  readonly #stop = new AbortController();
  /** The service whose start is in progress, and that start, settled either way. */
  #starting: { service: Service; settled: Promise<unknown> } | undefined;
  #stopped: Promise<void> | undefined;

  constructor(
    private readonly services: readonly Service[],
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const signal = this.#stop.signal;
    for (const s of this.services) {
      if (signal.aborted) throw new StartInterrupted(`stopped before ${s.name} was started`);
      const attempt = s.start(signal);
      this.#starting = { service: s, settled: attempt.catch(() => undefined) };
      try {
        await attempt;
      } catch (err) {
        this.#starting = undefined;
        // A start that fails after the stop was requested fails because of it; stop() deals with the service.
        if (signal.aborted)
          throw new StartInterrupted(
            `${s.name} did not finish starting: the add-on is stopping (${(err as Error).message})`,
          );
        this.log.error({ err }, `${s.name} failed to start; stopping what had started`);
        await this.stop();
        throw err;
      }
      this.#starting = undefined;
      if (signal.aborted) throw new StartInterrupted(`stopped while ${s.name} was starting`);
      this.#started.push(s);
      this.log.debug(`${s.name} started`);
    }
  }

  /** Idempotent: a second call (a signal during a failed start's clean-up, say) waits for the first. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stopAll();
    return this.#stopped;
  }

  async #stopAll(): Promise<void> {
    this.#stop.abort();
    const starting = this.#starting;
    if (starting) {
      // Its start may have got far enough to hold something (a child process, a port): stop it too.
      await starting.settled;
      this.#started.push(starting.service);
    }
    while (this.#started.length > 0) {
      const s = this.#started.pop() as Service;
      try {
        await s.stop();
        this.log.debug(`${s.name} stopped`);
      } catch (err) {
        this.log.error({ err }, `${s.name} failed to stop cleanly`);
      }
    }
  }
}

export interface ComposeContext {
  env: RuntimeEnv;
  secrets: LogSecrets;
  bootLog: Logger;
  /** Ends the add-on with a non-zero exit after an orderly stop (s6's finish script then halts the container). */
  fatal(reason: string, err?: unknown): void;
}

export interface Composition {
  log: Logger;
  services: Service[];
}

export interface MainOptions {
  name: string;
  /** Stop budget: the add-on's config.yaml `timeout` minus a margin for s6 and Docker. */
  stopTimeoutMs: number;
  /**
   * Stop budget after an uncaught exception or unhandled rejection (default 4000 ms): the process is in an
   * unknown state, so it flushes what it can within this and exits, rather than wait for a stop that may hang.
   */
  fatalStopMs?: number;
  compose(ctx: ComposeContext): Promise<Composition>;
  /** Injected by tests; the real process otherwise. */
  proc?: NodeJS.Process;
}

/** Exit codes: 0 clean stop, 1 runtime failure, 2 configuration (options or environment) error. */
export const EXIT_CONFIG = 2;

/**
 * Runs an add-on: env and options errors become one line and exit 2 (no stack trace: the user can only
 * fix the option); SIGTERM/SIGINT stop services within the deadline; an uncaught exception or unhandled
 * rejection is one FATAL line, then a stop bounded by `fatalStopMs` and exit 1 (later ones while stopping are
 * logged as errors). At start it logs once whether the runtime's JSON.parse has the escaped-key bug.
 */
export async function runMain(opts: MainOptions): Promise<void> {
  const proc = opts.proc ?? process;
  const secrets = new LogSecrets();
  const bootLog = bootstrapLogger(opts.name, secrets);
  let group: ServiceGroup | undefined;
  let log = bootLog;
  let stopping = false;
  // The highest code asked for wins: a start-up failure during a SIGTERM's stop still exits non-zero.
  let exitCode = 0;
  /** group.start(), its outcome handled; the exit waits for it so a failure's exit code is known. */
  let starting: Promise<void> = Promise.resolve();

  /** The deadline of the stop under way (a fatal error shortens a SIGTERM's). */
  let deadline: { at: number; timer: NodeJS.Timeout } | undefined;
  const exitBy = (ms: number): void => {
    const at = Date.now() + ms;
    if (deadline && deadline.at <= at) return;
    if (deadline) clearTimeout(deadline.timer);
    const timer = setTimeout(() => {
      log.error(`stop did not finish within ${ms} ms; exiting anyway`);
      proc.exit(Math.max(exitCode, 1));
    }, ms);
    timer.unref();
    deadline = { at, timer };
  };
  const shutdown = (code: number, why: string, withinMs = opts.stopTimeoutMs): void => {
    exitCode = Math.max(exitCode, code);
    // Should the stop wait on something that holds no handle, the event loop runs dry before any exit() below
    // (the deadline timer is unref'd); the process then ends with this code, not 0.
    proc.exitCode = exitCode;
    exitBy(withinMs);
    if (stopping) return;
    stopping = true;
    log.info(`stopping (${why})`);
    void Promise.all([group?.stop(), starting]).then(() => {
      if (deadline) clearTimeout(deadline.timer);
      log.info('stopped');
      proc.exit(exitCode);
    });
  };
  let fatalLogged = false;
  const fatalError = (what: string, err: unknown): void => {
    // One FATAL line: the first failure is the cause; what follows while stopping is a consequence.
    if (fatalLogged) log.error({ err }, `${what} while stopping`);
    else log.fatal({ err }, what);
    fatalLogged = true;
    shutdown(1, what, opts.fatalStopMs ?? 4000);
  };

  proc.on('unhandledRejection', (err) => fatalError('unhandled promise rejection', err));
  proc.on('uncaughtException', (err) => fatalError('uncaught exception', err));
  proc.on('SIGTERM', () => shutdown(0, 'SIGTERM'));
  proc.on('SIGINT', () => shutdown(0, 'SIGINT'));

  let composition: Composition;
  try {
    const env = readRuntimeEnv(proc.env);
    secrets.add(env.supervisorToken);
    composition = await opts.compose({
      env,
      secrets,
      bootLog,
      fatal: (reason, err) => {
        log.fatal(err ? { err } : {}, reason);
        shutdown(1, reason);
      },
    });
  } catch (err) {
    if (err instanceof OptionsError || err instanceof EnvError) {
      bootLog.fatal(err.message);
      proc.exit(EXIT_CONFIG);
      return;
    }
    throw err;
  }
  log = composition.log;
  if (jsonParseHasKeyBug())
    log.info(
      `this Node.js ${proc.version} has V8's JSON.parse escaped-key bug; input with such keys is read by HomeIQ's own JSON reader, so names stay exact`,
    );
  group = new ServiceGroup(composition.services, log);
  if (stopping) {
    // A signal during compose: nothing has started, and the shutdown already under way ends the process.
    return;
  }
  let started = false;
  starting = group.start().then(
    () => {
      started = true;
    },
    (err: unknown) => {
      // Interrupted by a stop: that stop, already under way, stops the services in order and exits.
      if (err instanceof StartInterrupted) return;
      log.fatal({ err }, 'start-up failed');
      shutdown(1, 'start-up failed');
    },
  );
  await starting;
  if (started && !stopping) log.info('started');
}
