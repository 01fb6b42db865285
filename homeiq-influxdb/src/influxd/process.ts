import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import type { Backoff, Health, Logger, Service } from '@homeiq/shared';
import { influxdArgs, influxdEnv, isListeningLine, portInUse } from './launch.js';
import { LineSplitter, parseInfluxdLine, Tail } from './log-line.js';
import type { InfluxdTuning } from './memory-profile.js';

export interface InfluxdProcessOptions {
  binary: string;
  /** `<data dir>/influxdb2`: bolt, sqlite and engine live here, so a cold backup of the data dir has everything. */
  dataDir: string;
  host: string;
  port: number;
  /**
   * influxd's own `--log-level`; its lines are re-levelled by {@link parseInfluxdLine}. At least `info`:
   * its `Listening` line is how we know the server on the port is the influxd we started.
   */
  influxdLogLevel: 'debug' | 'info';
  /** Extra flags and environment of the `memory_profile` option (see memory-profile.ts); none by default. */
  tuning?: InfluxdTuning;
  /** Child logger `influxd` for influxd's lines. */
  influxdLog: Logger;
  /** Child logger for our supervision messages. */
  log: Logger;
  health: Health;
  backoff: Backoff;
  /** `GET /health` of influxd: true once it passes. */
  probe: () => Promise<{ pass: boolean; version: string }>;
  /** SIGINT grace before SIGKILL. */
  stopTimeoutMs: number;
  /** How long `start()` waits for the first readiness (crash restarts included); {@link READY_TIMEOUT_MS} by default. */
  readyTimeoutMs?: number;
  /** Liveness poll interval once ready. */
  pollMs?: number;
  /** How often to check again while another program holds the port. */
  portRetryMs?: number;
  /** Whether host:port is taken (by default: try to bind it); a reason when it is. */
  portInUse?: (host: string, port: number) => Promise<string | undefined>;
  now?: () => number;
}

const CHECK = 'influxd';
/**
 * The Dockerfile's HEALTHCHECK start period (DOCS: "the first 5 minutes after a start do not count"): a WAL
 * replay after a power cut may take that long. Giving up sooner would only restart the replay from scratch.
 */
export const READY_TIMEOUT_MS = 300_000;
/** A run this long counts as healthy: the next crash starts the backoff from the beginning again. */
const STABLE_MS = 60_000;

/**
 * Runs influxd as a child process: readiness through `/health`, restarts with jittered backoff after a
 * crash (the reason goes to the log and to the `influxd` health check), SIGINT then SIGKILL on stop.
 */
export class InfluxdProcess implements Service {
  readonly name = 'influxd';
  #child: ChildProcess | undefined;
  #stopping = false;
  #startedAt = 0;
  #ready = false;
  #version = '';
  #crashes = 0;
  #lastCrash: string | undefined;
  /** Set while another program holds our port (influxd is not started then). */
  #portBusy: string | undefined;
  /** Whether the current child printed its `Listening` line: only then is a passing /health its own. */
  #listening = false;
  #timer: NodeJS.Timeout | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(private readonly opts: InfluxdProcessOptions) {}

  get ready(): boolean {
    return this.#ready;
  }

  get version(): string {
    return this.#version;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Crashes since start, and the last one's reason. */
  crashes(): { count: number; last: string | undefined } {
    return { count: this.#crashes, last: this.#lastCrash };
  }

  async start(signal?: AbortSignal): Promise<void> {
    await mkdir(this.opts.dataDir, { recursive: true, mode: 0o700 });
    const interrupted = (): boolean => this.#stopping || signal?.aborted === true;
    if (interrupted()) throw new Error('influxd was not started: the add-on is stopping');
    this.opts.health.set(CHECK, 'red', 'influxd is starting');
    void this.#launch();
    const timeoutMs = this.opts.readyTimeoutMs ?? READY_TIMEOUT_MS;
    const deadline = this.#now() + timeoutMs;
    while (!this.#ready) {
      // The caller stops us next (ServiceGroup does): stop() ends the child, gracefully.
      if (interrupted()) throw new Error('influxd did not become ready: the add-on is stopping');
      if (this.#now() > deadline) {
        const why = this.#portBusy ?? (this.#lastCrash ? `last crash: ${this.#lastCrash}` : undefined);
        // Nobody stops a service whose start failed: the influxd we started must not outlive us.
        await this.stop();
        throw new Error(`influxd did not become ready within ${timeoutMs} ms${why ? ` (${why})` : ''}`);
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.opts.log.info('stopping influxd');
    // influxd shuts down cleanly (closing its shards, bolt and sqlite) only on SIGINT; SIGTERM ends it at once.
    child.kill('SIGINT');
    let grace: NodeJS.Timeout | undefined;
    const killed = await Promise.race([
      this.#exited.then(() => false),
      new Promise<boolean>((r) => (grace = setTimeout(() => r(true), this.opts.stopTimeoutMs))),
    ]);
    clearTimeout(grace);
    if (killed) {
      this.opts.log.error(`influxd did not stop within ${this.opts.stopTimeoutMs} ms of SIGINT; sending SIGKILL`);
      child.kill('SIGKILL');
      await this.#exited;
    }
    this.opts.health.set(CHECK, 'red', 'influxd is stopped');
  }

  /**
   * Starts influxd unless another program already listens on its port: then a server answering /health
   * there is not ours, so we report the clash (red, with the fix) and check again until the port is free.
   */
  async #launch(): Promise<void> {
    const { host, port } = this.opts;
    const busy = await (this.opts.portInUse ?? portInUse)(host, port).catch(() => undefined);
    if (this.#stopping) return;
    if (busy !== undefined) {
      const retryMs = this.opts.portRetryMs ?? 2_000;
      if (this.#portBusy === undefined)
        this.opts.log.error(`${busy}; influxd is not started until it is free (checking every ${retryMs / 1000} s)`);
      this.#portBusy = busy;
      this.opts.health.set(
        CHECK,
        'red',
        `${busy}, so influxd cannot start; checking again every ${retryMs / 1000} s`,
        `Stop the program or add-on that listens on port ${port} (for example another InfluxDB add-on, or one with host networking); influxd starts by itself once the port is free.`,
      );
      this.#timer = setTimeout(() => void this.#launch(), retryMs);
      return;
    }
    if (this.#portBusy !== undefined) {
      this.opts.log.info(`port ${port} on ${host} is free again; starting influxd`);
      this.#portBusy = undefined;
      this.opts.health.set(CHECK, 'red', 'influxd is starting');
    }
    this.#spawn();
  }

  #spawn(): void {
    const { binary, dataDir, host, port, influxdLogLevel, tuning } = this.opts;
    const tail = new Tail();
    const out = new LineSplitter();
    const err = new LineSplitter();
    const child = spawn(binary, [...influxdArgs(dataDir, host, port, influxdLogLevel), ...(tuning?.args ?? [])], {
      cwd: dataDir,
      env: influxdEnv(dataDir, tuning),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#startedAt = this.#now();
    this.#ready = false;
    this.#listening = false;
    const onLine = (line: string): void => {
      tail.push(line);
      const l = parseInfluxdLine(line);
      if (this.#child === child && isListeningLine(l.msg, l.fields)) this.#listening = true;
      this.opts.influxdLog[l.level](l.fields, l.msg);
    };
    child.stdout?.on('data', (c: Buffer) => out.push(c, onLine));
    child.stderr?.on('data', (c: Buffer) => err.push(c, onLine));
    let ended = false;
    let resolveExit: () => void = () => undefined;
    this.#exited = new Promise((r) => (resolveExit = r));
    const onEnd = (reason: string): void => {
      if (ended) return;
      ended = true;
      this.#ready = false;
      resolveExit();
      if (this.#stopping) this.opts.log.info(`influxd stopped (${reason})`);
      else this.#crashed(reason, tail.lines());
    };
    child.once('error', (e) => onEnd(`cannot run ${binary}: ${e.message}`));
    child.once('exit', (code, signal) => onEnd(signal ? `killed by ${signal}` : `exit code ${code}`));
    this.opts.log.debug(`started influxd (pid ${child.pid}) on ${host}:${port}`);
    void this.#watch(child);
  }

  /** Waits for `/health` to pass, then keeps probing it while this child lives. */
  async #watch(child: ChildProcess): Promise<void> {
    const poll = this.opts.pollMs ?? 10_000;
    let failures = 0;
    while (this.#child === child && child.exitCode === null && child.signalCode === null && !this.#stopping) {
      const r = await this.opts.probe().catch(() => ({ pass: false, version: '' }));
      if (this.#child !== child || this.#stopping || child.exitCode !== null || child.signalCode !== null) return;
      // A pass before our child bound the port comes from someone else's server (or just beat the log line).
      if (r.pass && this.#listening) {
        failures = 0;
        if (!this.#ready) this.#becameReady(r.version);
        else this.#setGreen();
      } else if (this.#ready) {
        failures += 1;
        this.opts.health.set(
          CHECK,
          failures >= 3 ? 'red' : 'amber',
          `influxd does not answer /health (${failures} checks in a row)`,
        );
      }
      await sleep(this.#ready ? poll : 200);
    }
  }

  #becameReady(version: string): void {
    this.#ready = true;
    this.#version = version.replace(/^v/, '');
    const took = this.#now() - this.#startedAt;
    this.opts.log.info(
      `influxd ${this.#version} ready in ${took} ms${this.#crashes > 0 ? ` after restart #${this.#crashes}` : ''}`,
    );
    this.#setGreen();
  }

  #setGreen(): void {
    const restarts =
      this.#crashes > 0 ? `; restarted ${this.#crashes} time(s) after a crash, last: ${this.#lastCrash}` : '';
    this.opts.health.set(CHECK, 'green', `influxd ${this.#version} is running${restarts}`);
  }

  #crashed(exit: string, lastLines: string[]): void {
    // The port was taken between our check and influxd's bind: say so rather than "exit code 1".
    const reason = lastLines.some((l) => /address already in use/i.test(l))
      ? `${exit}: port ${this.opts.port} on ${this.opts.host} is already in use by another program`
      : exit;
    const uptime = this.#now() - this.#startedAt;
    if (uptime > STABLE_MS) this.opts.backoff.reset();
    const delay = this.opts.backoff.next();
    this.#crashes += 1;
    this.#lastCrash = `${reason} at ${new Date().toISOString()} after ${Math.round(uptime / 1000)} s`;
    this.opts.log.error(
      `influxd stopped unexpectedly (${reason}) after ${Math.round(uptime / 1000)} s; restarting in ${delay} ms`,
    );
    if (lastLines.length > 0) this.opts.log.error(`last influxd output: ${lastLines.slice(-5).join(' | ')}`);
    this.opts.health.set(
      CHECK,
      'red',
      `influxd crashed (${reason}); restart #${this.#crashes} in ${Math.round(delay / 100) / 10} s`,
      "If this repeats, open the add-on log for influxd's last lines.",
    );
    this.#timer = setTimeout(() => {
      if (!this.#stopping) void this.#launch();
    }, delay);
  }

  #now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
