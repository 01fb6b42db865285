import type { Health, Logger } from '@homeiq/shared';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HaSession } from '../ha/ha-session.js';
import { microsToIso } from '../ha/history.js';
import type { StateDigests } from '../points/restart-digest.js';
import type { StatePipeline } from '../points/state-pipeline.js';
import { isHaState } from '../points/state-to-points.js';
import type { RefillStatus } from './backfill-status.js';
import type { RefusedRanges } from './refused-ranges.js';
import type { StateReplay, WindowOptions } from './state-replay.js';

/** What the refill reads of the spool (Spool.stats). */
export interface SpoolGauge {
  stats(): { bytes: number; refused: number; full: boolean };
}

/** Flow control for other history writers (the import): wait for room, and hand over windows the spool refused. */
export interface RefillFlow {
  waitForRoom(alive: () => boolean): Promise<void>;
  pace(alive: () => boolean): WindowOptions['pace'];
  refused(fromUs: number, toUs: number): void;
}

export interface SpoolRefillOptions {
  log: Logger;
  /** `lastSeenUs`, the newest `last_updated` seen (HA's clock): where a refused period starts and ends. */
  pipeline: Pick<StatePipeline, 'lastSeenUs'>;
  /** Entities to recover besides those HA has now: the ones we wrote before (maybe removed since). */
  digests: Pick<StateDigests, 'ids'>;
  accepts(entityId: string): boolean;
  spool: SpoolGauge;
  /** Option `spool_max_mb`, in bytes. */
  maxBytes: number;
  ranges: RefusedRanges;
  /** Its own replay (its own "state before" per entity), not the connection task's. */
  replay: StateReplay;
  health?: Pick<Health, 'set'> | undefined;
  /** A refused period starts this long before the last event seen when the spool became full (default 2 s). */
  overlapUs?: number | undefined;
  /** The largest window of HA time asked for at once (default 1 h; halved after a pause, down to 1 s; doubled after a success). */
  windowUs?: number | undefined;
  /** How long after a range closed before asking HA's recorder for it, which commits every few seconds (default 12 s). */
  recorderSettleMs?: number | undefined;
  /** A window starts only below this fraction of `maxBytes` unsent (default 0.5). */
  lowWater?: number | undefined;
  /** Within a window, rows wait above this fraction (default 0.8) until below `lowWater` again. */
  highWater?: number | undefined;
  pollMs?: number | undefined;
  /** µs since the epoch. */
  now(): number;
  /** Persists the ranges (the backfill's state file); called after a refill run. */
  save(): Promise<void>;
}

const MIN_WINDOW_US = 1_000_000;
const HOUR_US = 3_600_000_000;
const CHECK = 'spool';
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Recovers the states the spool refused while it was full, from HA's recorder (`history_during_period`, like
 * the gap backfill). Bookkeeping: when the spool becomes full a range opens at the last event seen (minus the
 * overlap); when it has room again the range closes at the last event seen then (refused states moved it on). A
 * replay window (gap, import) the spool refused points during is added as a range too.
 *
 * The refill runs on the current connection once a range has settled (the recorder committed it) and less than
 * `lowWater` of the spool is unsent, oldest range first, window by window: a window is removed from the ranges
 * only when every state in it reached the spool (fsynced). Within a window rows wait while the spool is above
 * `highWater`; if a point is refused anyway (live events filled it), the window stops, stays in the ranges, and
 * the refill resumes from it once there is room again, with a smaller window. Health `spool`: red while full,
 * amber while something is to be recovered, green after. Events other than state changes are not in the
 * recorder's history and cannot be recovered.
 */
export class SpoolRefill implements RefillFlow {
  #session: HaSession | undefined;
  #timer: NodeJS.Timeout | undefined;
  #run: Promise<void> | undefined;
  #stopped = true;
  #full = false;
  /** Not before this (ms, our clock): HA's recorder may not have committed the newest refused states yet. */
  #notBeforeMs = 0;
  #spanUs: number;
  #healthShown = false;
  readonly #counts = { recovered: 0, pauses: 0, startedAt: undefined as string | undefined, completedAt: undefined as string | undefined, lastError: undefined as string | undefined };
  /** From the first run over pending ranges until none is left: for the log lines. */
  #episode: { startedMs: number; points: number; windows: number; pauses: number } | undefined;

  constructor(private readonly opts: SpoolRefillOptions) {
    this.#spanUs = this.#maxSpanUs;
  }

  get #maxSpanUs(): number {
    return this.opts.windowUs ?? HOUR_US;
  }

  get #settleMs(): number {
    return this.opts.recorderSettleMs ?? 12_000;
  }

  start(): void {
    this.#stopped = false;
    if (this.opts.ranges.first()) this.#notBeforeMs = Date.now() + this.#settleMs;
    this.#reflect();
    this.#timer = setInterval(() => this.#tick(), this.opts.pollMs ?? 500);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#session = undefined;
    await this.#run;
  }

  /** The current connection (once its registries are read): the refill runs on it. */
  attach(session: HaSession): void {
    this.#session = session;
    this.#tick();
  }

  /** Spool `onFullChange`. */
  onFullChange(full: boolean): void {
    this.#full = full;
    const seen = this.opts.pipeline.lastSeenUs ?? this.opts.now();
    if (full) {
      const fromUs = seen - (this.opts.overlapUs ?? 2_000_000);
      this.opts.ranges.open(fromUs);
      this.opts.log.info(`state changes the spool refuses from ${microsToIso(fromUs)} on are recovered from HA's recorder once it has room; other events refused meanwhile are lost`);
    } else {
      this.opts.ranges.close(seen + 1);
      this.#notBeforeMs = Date.now() + this.#settleMs;
    }
    this.#reflect();
  }

  /** A replay window [fromUs, toUs) during which the spool refused points. */
  refused(fromUs: number, toUs: number): void {
    this.opts.ranges.add(fromUs, toUs);
    this.#reflect();
  }

  hasRoom(): boolean {
    const s = this.opts.spool.stats();
    return !s.full && s.bytes < this.opts.maxBytes * (this.opts.lowWater ?? 0.5);
  }

  async waitForRoom(alive: () => boolean): Promise<void> {
    while (alive() && !this.#stopped && !this.hasRoom()) await sleep(this.opts.pollMs ?? 500);
  }

  pace(alive: () => boolean): WindowOptions['pace'] {
    return () => {
      const s = this.opts.spool.stats();
      return s.full || s.bytes >= this.opts.maxBytes * (this.opts.highWater ?? 0.8) ? this.waitForRoom(alive) : undefined;
    };
  }

  status(): RefillStatus {
    const r = this.opts.ranges;
    const pending: RefillStatus['pending'] = r.list().map((x) => ({ from: microsToIso(x.fromUs), to: microsToIso(x.toUs) }));
    if (r.openFromUs !== undefined) pending.push({ from: microsToIso(r.openFromUs), to: undefined });
    pending.sort((a, b) => (a.from < b.from ? -1 : 1));
    const state = this.#run ? 'running' : r.empty ? 'idle' : 'pending';
    return { state, pending, pendingSeconds: r.pendingUs / 1e6, ...this.#counts };
  }

  #tick(): void {
    if (this.#stopped || this.#run || !this.opts.ranges.first()) return;
    const session = this.#session;
    if (!session || session.closed || this.#full || Date.now() < this.#notBeforeMs || !this.hasRoom()) return;
    this.#run = this.#refill(session)
      .catch((err: unknown) => {
        this.#counts.lastError = (err as Error).message;
        if (!session.closed) this.opts.log.warn(`recovering states refused while the spool was full stopped: ${(err as Error).message}; it resumes on the next connection`);
      })
      .finally(() => {
        this.#run = undefined;
        this.#reflect();
      });
    this.#reflect();
  }

  async #refill(session: HaSession): Promise<void> {
    const alive = (): boolean => !this.#stopped && this.#session === session && !session.closed;
    const { log, ranges } = this.opts;
    const reply = await session.command<unknown[]>({ type: 'get_states' });
    if (!alive()) return;
    const ids = new Set((Array.isArray(reply) ? reply : []).filter(isHaState).map((s) => s.entity_id));
    for (const id of this.opts.digests.ids()) ids.add(id);
    const sorted = [...ids].filter((id) => this.opts.accepts(id)).sort();
    const first = ranges.first();
    const list = ranges.list();
    if (!first) return;
    if (!this.#episode) {
      this.#episode = { startedMs: Date.now(), points: 0, windows: 0, pauses: 0 };
      Object.assign(this.#counts, { startedAt: new Date().toISOString(), completedAt: undefined, lastError: undefined });
      log.info(
        `recovering states refused while the spool was full (from HA's recorder): ${microsToIso(first.fromUs)} to ${microsToIso(list.at(-1)?.toUs ?? first.toUs)} ` +
          `(${Math.round(ranges.pendingUs / 1e6)} s of HA time, ${sorted.length} entities; ${this.opts.spool.stats().refused} points refused so far)`,
      );
    } else log.debug(`resuming the recovery of refused states at ${microsToIso(first.fromUs)}`);
    const ep = this.#episode;
    this.opts.replay.clear();
    for (let r = ranges.first(); r; r = ranges.first()) {
      if (!alive() || !this.hasRoom()) return; // resumes on a later tick
      const w = { startUs: r.fromUs, endUs: Math.min(r.toUs, r.fromUs + this.#spanUs) };
      const res = await this.opts.replay.window(session, w, sorted, alive, { stopOnRefusal: true, pace: this.pace(alive) });
      if (!alive()) return;
      if (res.refused) {
        ep.pauses += 1;
        this.#counts.pauses += 1;
        this.#spanUs = Math.max(MIN_WINDOW_US, Math.floor((w.endUs - w.startUs) / 2));
        log.info(`recovering refused states paused at ${microsToIso(w.startUs)}: the spool refused points again; it resumes there once it has room`);
        return;
      }
      ranges.subtract(w.startUs, w.endUs);
      ep.points += res.points;
      ep.windows += 1;
      this.#counts.recovered += res.points;
      this.#spanUs = Math.min(this.#maxSpanUs, this.#spanUs * 2);
      this.#reflect();
    }
    this.#episode = undefined;
    this.#counts.completedAt = new Date().toISOString();
    log.info(
      `recovered states refused while the spool was full: ${ep.points} states written from HA's recorder ` +
        `(${plural(ep.windows, 'window')}, ${plural(ep.pauses, 'pause')}, ${Math.round((Date.now() - ep.startedMs) / 100) / 10} s)`,
    );
    await this.opts.save().catch(() => undefined);
  }

  /** Health `spool`: red while full, amber while refused states wait to be recovered, green after (once shown). */
  #reflect(): void {
    const h = this.opts.health;
    if (!h) return;
    const first = this.opts.ranges.first();
    const mb = Math.round(this.opts.maxBytes / (1024 * 1024));
    if (this.#full) {
      h.set(CHECK, 'red', `spool full (${mb} MB unsent): new points are refused; the states among them are recovered from HA's recorder once it has room`, 'Make InfluxDB writable again, or raise spool_max_mb');
    } else if (first) {
      const what = this.#run ? 'running' : `waits until less than ${Math.round(mb * (this.opts.lowWater ?? 0.5))} MB is unsent and HA is connected`;
      h.set(CHECK, 'amber', `recovering states refused while the spool was full (from HA's recorder), from ${microsToIso(first.fromUs)}: ${what}`,
        'Clears by itself once InfluxDB has taken the backlog; other event types refused meanwhile are not recovered');
    } else if (this.#healthShown) h.set(CHECK, 'green', 'spool has room');
    else return;
    this.#healthShown = true;
  }
}
