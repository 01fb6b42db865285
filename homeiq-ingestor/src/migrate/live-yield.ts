import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The pace of the migration's writer, so that live ingestion keeps its latency while a migration runs. Both write
 * to the same InfluxDB on the same few cores:
 * - a migration request does not start while a live one is on the wire (the live one then competes with at most
 *   the migration request already sent);
 * - when the live writer's requests get slow (or its spool starts to fill), the migration's writer halves its
 *   rate; while they are fast it raises it by a quarter, up to no limit at all.
 * Each batch of the migration's writer waits for its turn here (MemoryQueue.read), at most MAX_WAIT_MS at a time.
 */

export interface LiveSignals {
  /**
   * The live writer: how many batches it completed, how long the last one took (request to confirmation), and
   * how many requests it has on the wire.
   */
  writer: { stats(): { batches: number; lastBatchMs: number | undefined }; inFlight(): number };
  /** Live ingestion's spool: bytes InfluxDB has not confirmed yet. */
  spool: { stats(): { bytes: number } };
}

/**
 * A live request slower than this is live ingestion suffering; faster than FAST_MS, it has room. Live points wait
 * up to the flush interval (1 s by default) before their request: 300 ms more keeps them within 1.5 s.
 */
const SLOW_MS = 300;
const FAST_MS = 150;
/** A live backlog beyond this means the live writer is falling behind. */
const BACKLOG_BYTES = 1024 * 1024;
const MIN_RATE = 200;
/** Above this the migration's writer runs unpaced again. */
const UNLIMITED_ABOVE = 1_000_000;
/** Changes at most this often, so one slow request does not count twice. */
const STEP_MS = 1000;
const MAX_WAIT_MS = 2000;
/** The shortest span a first rate is measured over. */
const MIN_SPAN_MS = 500;

export class LiveYield {
  /** Lines per second the migration's writer may send; Infinity: no limit. */
  #rate = Number.POSITIVE_INFINITY;
  #nextAtMs = 0;
  /** The live writer's batch count last seen; undefined before the first turn (its last batch is then old news). */
  #seenBatches: number | undefined;
  #changedAtMs = 0;
  /** Lines sent in the current two-second measuring span (for the first halving). */
  #span = { atMs: 0, lines: 0, rate: 0 };

  constructor(
    private readonly live: LiveSignals,
    /** The clock and the pause (tests drive them). */
    private readonly time: { now(): number; sleep(ms: number): Promise<unknown> } = { now: Date.now, sleep },
  ) {}

  /** Lines per second now (Infinity: unpaced), for the status. */
  get rate(): number {
    return this.#rate;
  }

  /** Waits for the turn of a batch of `lines`. */
  async turn(lines: number): Promise<void> {
    const { now, sleep: pause } = this.time;
    const start = now();
    while (this.live.writer.inFlight() > 0 && now() - start < MAX_WAIT_MS) await pause(5);
    const at = now();
    this.#measure(at, lines);
    this.#adjust(at, lines);
    if (!Number.isFinite(this.#rate)) return;
    const wait = Math.min(MAX_WAIT_MS, this.#nextAtMs - at);
    if (wait > 0) await pause(wait);
    this.#nextAtMs = Math.max(this.#nextAtMs, now()) + (lines / this.#rate) * 1000;
  }

  #measure(now: number, lines: number): void {
    const s = this.#span;
    if (s.atMs === 0) s.atMs = now;
    if (now - s.atMs >= 2000) {
      s.rate = (s.lines * 1000) / (now - s.atMs);
      s.atMs = now;
      s.lines = 0;
    }
    s.lines += lines;
  }

  /**
   * The rate sent over the last full span, else over the current one once it is long enough to say; `pending`:
   * the lines of this turn, counted in the span already but not sent yet.
   */
  #measured(now: number, pending: number): number | undefined {
    const s = this.#span;
    if (s.rate > 0) return s.rate;
    const ms = now - s.atMs;
    return ms >= MIN_SPAN_MS ? ((s.lines - pending) * 1000) / ms : undefined;
  }

  #adjust(now: number, lines: number): void {
    const w = this.live.writer.stats();
    const fresh = this.#seenBatches !== undefined && w.batches !== this.#seenBatches;
    this.#seenBatches = w.batches;
    const ms = w.lastBatchMs ?? 0;
    const slow = (fresh && ms > SLOW_MS) || this.live.spool.stats().bytes > BACKLOG_BYTES;
    if (now - this.#changedAtMs < STEP_MS) return;
    if (slow) {
      const from = Number.isFinite(this.#rate) ? this.#rate : this.#measured(now, lines);
      // Nothing measured yet (the migration has just started sending): halving from a guess would start it at
      // the bottom; waiting for live requests to leave the wire is all it does until a rate is known.
      if (from === undefined) return;
      this.#rate = Math.max(MIN_RATE, from / 2);
      this.#changedAtMs = now;
    } else if (fresh && ms < FAST_MS && Number.isFinite(this.#rate)) {
      this.#rate = this.#rate * 1.25 > UNLIMITED_ABOVE ? Number.POSITIVE_INFINITY : this.#rate * 1.25;
      this.#changedAtMs = now;
    }
  }
}
