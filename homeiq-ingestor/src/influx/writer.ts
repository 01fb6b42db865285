import { Backoff, type Service } from '@homeiq/shared';
import type { RecordBatch } from '../spool/batch.js';
import type { Cursor } from '../spool/spool.js';
import type { WriteResponse } from './send.js';
import { CHECK, judge, WriteStatus } from './write-status.js';
import type { WriterOptions, WriterStats } from './writer-types.js';

export type { TargetProvider, WriterOptions, WriterSpool, WriterStats } from './writer-types.js';

type Outcome = { kind: 'written' } | { kind: 'rejected'; res: WriteResponse } | { kind: 'stopped' };
/** How a batch ended: 'failed' is a bug (an unexpected exception), which stops the writer through its fatal path. */
type Settled = 'done' | 'stopped' | 'failed';

const DISK_HINT = 'Check the data disk (free space, errors in the host log); the points stay in the spool meanwhile';

/** A cut batch: its records, the spool position after it, and its gzipped body (made once, reused by retries). */
interface Batch {
  records: RecordBatch;
  next: Cursor;
  body: Promise<Buffer>;
  /** Never rejects: an exception becomes 'failed' (and `#failure`), so no batch can reject unhandled. */
  result?: Promise<Settled>;
  outcome?: Settled;
  started?: number;
}

/**
 * Sends spooled points to InfluxDB in batches (lines, bytes, flush interval) and acknowledges them in the spool
 * only once InfluxDB confirmed them or they are in the quarantine. Status handling (docs/INFLUXDB.md):
 * network errors, 408, 429 and 5xx are retried with jittered backoff honouring Retry-After; 400/413/422 are
 * bisected until the rejected lines are isolated (rewriting an accepted line is idempotent: same series and
 * timestamp); a single rejected line goes to the quarantine with InfluxDB's reason; 401/403/404 keep the data
 * spooled and turn health red with the reason (401 also asks for a new token), as does a quarantine write error.
 *
 * Pipelined: while one batch is on the wire the next is read from the spool and gzipped, and the previous one's
 * ack is persisted. Acks are applied strictly in spool order: a batch is acknowledged only after it and every
 * batch before it were confirmed, so a batch still retrying holds back the acks of the ones after it. Backing off
 * is shared by everything in flight; while InfluxDB is unreachable it is probed (`/ping`) every second so that
 * writing resumes within about a second of its return rather than at the end of a long backoff.
 */
export class InfluxWriter implements Service {
  readonly name = 'influxdb writer';
  readonly #stats = {
    written: 0,
    batches: 0,
    requests: 0,
    bisections: 0,
    quarantined: 0,
    lastBatchMs: undefined as number | undefined,
  };
  /** Health, logging and the shared backoff pause of failing requests. */
  readonly #status: WriteStatus;
  #stopped = true;
  /** The first unexpected exception of a batch: the loop ends with it (fatal path in start()). */
  #failure: { err: unknown } | undefined;
  #loop: Promise<void> | undefined;
  /** Everything sleeping (the loop, a backoff pause) wakes on stop. */
  readonly #wakers = new Set<() => void>();
  /** Batches cut and not yet acknowledged, in spool order; the first `maxInFlight` unsettled ones are on the wire. */
  #window: Batch[] = [];

  constructor(private readonly opts: WriterOptions) {
    this.#status = new WriteStatus({
      health: opts.health,
      log: opts.log,
      backoff: opts.backoff ?? new Backoff({ initialMs: 1000, maxMs: 15_000 }),
      redAfterMs: opts.redAfterMs ?? 60_000,
      probeEveryMs: opts.probeEveryMs ?? 1000,
      ping: () => this.#ping(),
      sleep: (ms) => this.#sleep(ms),
      stopped: () => this.#stopped,
    });
  }

  stats(): WriterStats {
    return { ...this.#stats, ...this.#status.stats() };
  }

  /** Requests on the wire now (the migration's writer waits for live ingestion's: migrate/live-yield.ts). */
  inFlight(): number {
    let n = 0;
    for (const b of this.#window) if (b.result && b.outcome === undefined) n += 1;
    return n;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#failure = undefined;
    this.#loop = this.#run().catch((err: unknown) => {
      // A spool read/ack failure (disk) or a bug; InfluxDB's answers and quarantine write errors are handled inside.
      this.opts.log.fatal({ err }, 'writer stopped: cannot read or acknowledge the spool, or an unexpected error');
      this.opts.health.set(
        CHECK,
        'red',
        `writer stopped: ${(err as Error).message}`,
        'Restart the add-on; check the data disk',
      );
    });
  }

  /** Stops after the requests in flight; whatever is not confirmed stays in the spool for the next start. */
  async stop(): Promise<void> {
    this.#halt();
    await this.#loop;
  }

  #halt(): void {
    this.#stopped = true;
    for (const w of [...this.#wakers]) w();
  }

  /** Sleeps `ms`, or less when `until` settles or the writer stops. */
  #sleep(ms: number, until?: Promise<unknown>): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const wakers = this.#wakers;
      function done(): void {
        clearTimeout(t);
        wakers.delete(done);
        resolve();
      }
      wakers.add(done);
      void until?.then(done, done);
    });
  }

  async #run(): Promise<void> {
    const { spool } = this.opts;
    const maxInFlight = Math.max(1, this.opts.maxInFlight ?? 1);
    let cursor: Cursor = spool.ackCursor;
    let firstSeen: number | undefined;
    /** The last batch cut was full or had more segments behind it: we are catching up, and the partial one after it is sent at once. */
    let draining = false;
    try {
      while (!this.#stopped) {
        let waitMs = 60_000;
        let until: Promise<unknown> | undefined;
        if (this.#window.length <= maxInFlight) {
          const { batch: records, next } = await spool.read(cursor, this.opts.batchLines, this.opts.batchBytes);
          if (records.count > 0) {
            firstSeen ??= Date.now();
            const due = firstSeen + this.opts.flushIntervalMs - Date.now();
            const moreBehind = next.segment < spool.end.segment;
            // A batch cut by the byte limit is as full as one cut by the line limit: send it now, don't wait.
            const full = records.count >= this.opts.batchLines || records.body.length >= this.opts.batchBytes * 0.9;
            if (full || moreBehind || draining || due <= 0) {
              const body = this.opts.sender.encode(records.body);
              body.catch(() => undefined); // awaited by the request; a batch dropped at stop must not leave it unhandled
              this.#window.push({ records, next, body });
              cursor = next;
              firstSeen = undefined;
              draining = full || moreBehind;
              this.#launch(maxInFlight);
              continue;
            }
            waitMs = due; // re-read then: the batch may have grown
          } else {
            draining = false;
            until = spool.waitForData(cursor);
          }
        }
        const head = this.#window[0];
        if (head?.result) {
          // Wait for the oldest batch to settle (or the flush interval, or new data), then acknowledge it.
          until = until ? Promise.race([head.result, until]) : head.result;
        }
        await this.#sleep(waitMs, until);
        if (head?.outcome === 'stopped') break;
        if (head?.outcome === 'done') {
          await this.#acknowledge(head);
          this.#launch(maxInFlight);
        }
      }
      if (this.#failure) throw this.#failure.err;
    } finally {
      // Stopping (or a spool failure): let what is on the wire finish, and acknowledge the confirmed prefix.
      this.#stopped = true;
      const window = this.#window;
      this.#window = [];
      let acking = true;
      for (const b of window) {
        if (!b.result) break;
        acking &&= (await b.result) === 'done';
        if (acking) await this.#acknowledge(b, false);
      }
    }
  }

  async #acknowledge(b: Batch, shift = true): Promise<void> {
    await this.opts.spool.ack(b.next);
    if (shift) this.#window.shift();
    this.#stats.batches += 1;
    this.#stats.lastBatchMs = Date.now() - (b.started ?? Date.now());
  }

  /** Puts the next cut batches on the wire, in order, while fewer than `maxInFlight` are unsettled. */
  #launch(maxInFlight: number): void {
    let onWire = 0;
    for (const b of this.#window) {
      if (b.result) {
        if (b.outcome === undefined) onWire += 1;
        continue;
      }
      if (onWire >= maxInFlight || this.#stopped) return;
      onWire += 1;
      b.started = Date.now();
      b.result = this.#deliver(b.records, b.body).then(
        (outcome) => {
          b.outcome = outcome;
          this.#launch(maxInFlight);
          return outcome;
        },
        (err: unknown) => {
          // Stop everything and let #run rethrow: a batch in an unknown state must neither be acked nor spin the loop.
          b.outcome = 'failed';
          this.#failure ??= { err };
          this.#halt();
          return 'failed' as const;
        },
      );
    }
  }

  /** Writes the lines or quarantines the ones InfluxDB rejects; 'stopped' when stopping first. */
  async #deliver(lines: RecordBatch, body?: Promise<Buffer>): Promise<'done' | 'stopped'> {
    const outcome = await this.#attempt(body ?? this.opts.sender.encode(lines.body));
    if (outcome.kind === 'stopped') return 'stopped';
    if (outcome.kind === 'written') {
      this.#stats.written += lines.count;
      return 'done';
    }
    if (lines.count === 1) return this.#quarantine(lines, outcome.res);
    this.#stats.bisections += 1;
    const mid = Math.ceil(lines.count / 2);
    if ((await this.#deliver(lines.slice(0, mid))) === 'stopped') return 'stopped';
    return this.#deliver(lines.slice(mid, lines.count));
  }

  /**
   * Sets a rejected line aside. A quarantine that cannot be written (disk) is a failing write: the line stays in
   * the spool, health turns red, and it is retried with the shared backoff. One that is full drops the line
   * (counted and reported by the quarantine): InfluxDB refused it, and holding it would block every point behind.
   */
  async #quarantine(lines: RecordBatch, { status, message }: WriteResponse): Promise<'done' | 'stopped'> {
    for (let failed = false; ; failed = true) {
      const kept = await this.opts.quarantine.add(lines.lines(), status, message).then(
        (r) => r.kept,
        (err: Error) => this.#status.failed(`cannot write the quarantine: ${err.message}`, { fixHint: DISK_HINT }),
      );
      if (kept === undefined) {
        if (this.#stopped) return 'stopped';
        continue;
      }
      if (failed) this.#status.succeeded();
      if (kept > 0 && this.#stats.quarantined === 0)
        this.opts.log.warn(
          `InfluxDB rejected a point (${status}: ${message}); it is kept in the quarantine (logged once)`,
        );
      this.#stats.quarantined += kept;
      return 'done';
    }
  }

  /** One batch until InfluxDB gives a final answer for it (retrying everything transient). */
  async #attempt(body: Promise<Buffer>): Promise<Outcome> {
    for (;;) {
      await this.#status.pauseOver(); // another request found InfluxDB failing: wait with it
      if (this.#stopped) return { kind: 'stopped' };
      let res: WriteResponse;
      let api: 'v1' | 'v2' = 'v2';
      try {
        const target = await this.opts.target.get();
        api = target.api ?? 'v2';
        this.#stats.requests += 1;
        res = await this.opts.sender.post(target, await body);
      } catch (err) {
        await this.#status.failed(`cannot reach InfluxDB: ${(err as Error).message}`, { probe: true });
        continue;
      }
      const answer = judge(res, api);
      if (answer.kind !== 'failed') {
        this.#status.succeeded(); // also for 'rejected': InfluxDB is up and answering, the content is the problem
        return answer.kind === 'written' ? answer : { kind: 'rejected', res };
      }
      if (res.status === 401) this.opts.target.invalidate(res.message);
      await this.#status.failed(answer.reason, answer.failure);
    }
  }

  async #ping(): Promise<boolean> {
    try {
      return await this.opts.sender.ping(await this.opts.target.get());
    } catch {
      return false;
    }
  }
}
