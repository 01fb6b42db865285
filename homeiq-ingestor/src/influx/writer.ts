import { Backoff, type Health, type Logger, type Service } from '@homeiq/shared';
import type { Cursor, Spool } from '../spool/spool.js';
import type { Quarantine } from './quarantine.js';
import type { InfluxSender, InfluxTarget, WriteResponse } from './send.js';

/** Supplies the target; `invalidate` after a 401 makes the next `get` ask again (auto: a fresh sibling token). */
export interface TargetProvider {
  get(): Promise<InfluxTarget>;
  invalidate(reason: string): void;
}

export interface WriterOptions {
  spool: Spool;
  sender: InfluxSender;
  target: TargetProvider;
  quarantine: Quarantine;
  health: Health;
  log: Logger;
  batchLines: number;
  batchBytes: number;
  flushIntervalMs: number;
  /** Failing this long turns health red (auth/bucket errors turn it red at once). */
  redAfterMs?: number;
  backoff?: Backoff;
}

export interface WriterStats {
  written: number;
  batches: number;
  requests: number;
  retries: number;
  bisections: number;
  quarantined: number;
  lastError: string | undefined;
  lastSuccessAt: string | undefined;
  lastBatchMs: number | undefined;
  failingSince: string | undefined;
}

const CHECK = 'influxdb-writes';
const RETRYABLE = (s: number): boolean => s === 408 || s === 429 || s >= 500;
/** InfluxDB refused the content of these lines (influxdb.md §1.1): split to find them. */
const CONTENT = new Set([400, 413, 422]);
/** Configuration problems the user must fix; we keep spooling meanwhile. */
const CONFIG = new Set([401, 403, 404]);

type Outcome = { kind: 'written' } | { kind: 'rejected'; res: WriteResponse } | { kind: 'stopped' };

/**
 * Sends spooled points to InfluxDB in batches (lines, bytes, flush interval) and acknowledges them in the spool
 * only once InfluxDB confirmed them or they are in the quarantine. Status handling per influxdb.md §1:
 * network errors, 408, 429 and 5xx are retried with jittered backoff honouring Retry-After; 400/413/422 are
 * bisected until the rejected lines are isolated (rewriting an accepted line is idempotent: same series and
 * timestamp); a single rejected line goes to the quarantine with InfluxDB's reason; 401/403/404 keep the data
 * spooled and turn health red with the reason (401 also asks for a new token).
 */
export class InfluxWriter implements Service {
  readonly name = 'influxdb writer';
  readonly #stats: WriterStats = {
    written: 0, batches: 0, requests: 0, retries: 0, bisections: 0, quarantined: 0,
    lastError: undefined, lastSuccessAt: undefined, lastBatchMs: undefined, failingSince: undefined,
  };
  readonly #backoff: Backoff;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(private readonly opts: WriterOptions) {
    this.#backoff = opts.backoff ?? new Backoff({ initialMs: 1000, maxMs: 60_000 });
  }

  stats(): WriterStats {
    return { ...this.#stats };
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#loop = this.#run().catch((err: unknown) => {
      // Only a spool read/ack failure (disk) gets here; everything about InfluxDB is handled inside.
      this.opts.log.fatal({ err }, 'writer stopped: cannot read or acknowledge the spool');
      this.opts.health.set(CHECK, 'red', `writer stopped: ${(err as Error).message}`, 'Restart the add-on; check the data disk');
    });
  }

  /** Stops after the request in flight; whatever is not confirmed stays in the spool for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  #sleep(ms: number, until?: Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
      void until?.then(done);
    });
  }

  async #run(): Promise<void> {
    const { spool } = this.opts;
    let cursor: Cursor = spool.ackCursor;
    let firstSeen: number | undefined;
    while (!this.#stopped) {
      const { records, next } = await spool.read(cursor, this.opts.batchLines, this.opts.batchBytes);
      if (records.length === 0) {
        await this.#sleep(60_000, spool.waitForData(cursor));
        continue;
      }
      firstSeen ??= Date.now();
      const due = firstSeen + this.opts.flushIntervalMs - Date.now();
      const moreBehind = next.segment < spool.end.segment;
      // A batch cut by the byte limit is as full as one cut by the line limit: send it now, don't wait.
      let chars = 0;
      for (const r of records) chars += r.length + 1;
      const full = records.length >= this.opts.batchLines || chars >= this.opts.batchBytes * 0.9;
      if (!full && due > 0 && !moreBehind) {
        await this.#sleep(due);
        continue; // re-read: the batch may have grown
      }
      const started = Date.now();
      if ((await this.#deliver(records)) === 'stopped') return;
      await spool.ack(next);
      cursor = next;
      firstSeen = undefined;
      this.#stats.batches += 1;
      this.#stats.lastBatchMs = Date.now() - started;
    }
  }

  /** Writes the lines or quarantines the ones InfluxDB rejects; 'stopped' when stopping first. */
  async #deliver(lines: readonly string[]): Promise<'done' | 'stopped'> {
    const outcome = await this.#attempt(lines);
    if (outcome.kind === 'stopped') return 'stopped';
    if (outcome.kind === 'written') {
      this.#stats.written += lines.length;
      return 'done';
    }
    if (lines.length === 1) {
      const { status, message } = outcome.res;
      if (this.#stats.quarantined === 0) this.opts.log.warn(`InfluxDB rejected a point (${status}: ${message}); it is kept in the quarantine (logged once)`);
      await this.opts.quarantine.add(lines, status, message);
      this.#stats.quarantined += 1;
      return 'done';
    }
    this.#stats.bisections += 1;
    const mid = Math.ceil(lines.length / 2);
    if ((await this.#deliver(lines.slice(0, mid))) === 'stopped') return 'stopped';
    return this.#deliver(lines.slice(mid));
  }

  /** One batch until InfluxDB gives a final answer for it (retrying everything transient). */
  async #attempt(lines: readonly string[]): Promise<Outcome> {
    for (;;) {
      if (this.#stopped) return { kind: 'stopped' };
      let res: WriteResponse;
      try {
        const target = await this.opts.target.get();
        this.#stats.requests += 1;
        res = await this.opts.sender.write(target, lines);
      } catch (err) {
        await this.#failed(`cannot reach InfluxDB: ${(err as Error).message}`, false);
        continue;
      }
      if (res.status === 204 || res.status === 200 || res.status === 201) {
        this.#succeeded();
        return { kind: 'written' };
      }
      if (CONTENT.has(res.status)) {
        this.#succeeded(); // InfluxDB is up and answering; the content is the problem
        return { kind: 'rejected', res };
      }
      if (CONFIG.has(res.status)) {
        if (res.status === 401) this.opts.target.invalidate(res.message);
        const what = res.status === 404 ? 'bucket or organisation not found' : res.status === 401 ? 'token rejected' : 'token may not write to the bucket';
        await this.#failed(`InfluxDB answered ${res.status} (${what}): ${res.message}`, true);
        continue;
      }
      await this.#failed(`InfluxDB answered ${res.status}: ${res.message}`, false, res.retryAfterMs, RETRYABLE(res.status));
    }
  }

  #succeeded(): void {
    this.#backoff.reset();
    if (this.#stats.failingSince) this.opts.log.info(`writing to InfluxDB again (failing since ${this.#stats.failingSince})`);
    this.#stats.failingSince = undefined;
    this.#stats.lastError = undefined;
    this.#stats.lastSuccessAt = new Date().toISOString();
    this.opts.health.set(CHECK, 'green', 'writing to InfluxDB');
  }

  async #failed(reason: string, config: boolean, retryAfterMs = 0, retryable = true): Promise<void> {
    this.#stats.retries += 1;
    const first = this.#stats.failingSince === undefined;
    this.#stats.failingSince ??= new Date().toISOString();
    const failingMs = Date.now() - Date.parse(this.#stats.failingSince);
    if (first || reason !== this.#stats.lastError) {
      this.opts.log.warn(`${reason}; points stay in the spool and are retried${retryable ? '' : ' (unexpected status)'}`);
    }
    this.#stats.lastError = reason;
    const red = config || failingMs >= (this.opts.redAfterMs ?? 60_000);
    this.opts.health.set(
      CHECK,
      red ? 'red' : 'amber',
      reason,
      config ? 'Check the InfluxDB target options (URL, organisation, bucket, token)' : 'Points are kept in the spool and sent when InfluxDB answers',
    );
    await this.#sleep(this.#backoff.next(retryAfterMs));
  }
}
