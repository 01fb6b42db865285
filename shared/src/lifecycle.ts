import type { Logger } from 'pino';
import { EnvError, readRuntimeEnv, type RuntimeEnv } from './env.js';
import { bootstrapLogger, LogSecrets } from './logger.js';
import { OptionsError } from './options.js';

/** A long-lived part of an add-on. Constructors only assign; side effects happen in start/stop. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts services in order and stops them in reverse; a failed start stops what had started. */
export class ServiceGroup {
  readonly #started: Service[] = [];
  constructor(
    private readonly services: readonly Service[],
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const s of this.services) {
      try {
        await s.start();
      } catch (err) {
        this.log.error({ err }, `${s.name} failed to start; stopping what had started`);
        await this.stop();
        throw err;
      }
      this.#started.push(s);
      this.log.debug(`${s.name} started`);
    }
  }

  async stop(): Promise<void> {
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
  compose(ctx: ComposeContext): Promise<Composition>;
  /** Injected by tests; the real process otherwise. */
  proc?: NodeJS.Process;
}

/** Exit codes: 0 clean stop, 1 runtime failure, 2 configuration (options or environment) error. */
export const EXIT_CONFIG = 2;

/**
 * Runs an add-on: env and options errors become one line and exit 2 (no stack trace: the user can only
 * fix the option); SIGTERM/SIGINT stop services within the deadline; unhandled errors are logged and fatal.
 */
export async function runMain(opts: MainOptions): Promise<void> {
  const proc = opts.proc ?? process;
  const secrets = new LogSecrets();
  const bootLog = bootstrapLogger(opts.name, secrets);
  let group: ServiceGroup | undefined;
  let log = bootLog;
  let stopping = false;

  const shutdown = (code: number, why: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping (${why})`);
    const timer = setTimeout(() => {
      log.error(`stop did not finish within ${opts.stopTimeoutMs} ms; exiting anyway`);
      proc.exit(code === 0 ? 1 : code);
    }, opts.stopTimeoutMs);
    timer.unref();
    void (group ? group.stop() : Promise.resolve()).then(() => {
      clearTimeout(timer);
      log.info('stopped');
      proc.exit(code);
    });
  };

  proc.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection');
    shutdown(1, 'unhandled promise rejection');
  });
  proc.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    shutdown(1, 'uncaught exception');
  });
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
  group = new ServiceGroup(composition.services, log);
  try {
    await group.start();
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    proc.exit(1);
    return;
  }
  if (stopping) return;
  log.info('started');
}
