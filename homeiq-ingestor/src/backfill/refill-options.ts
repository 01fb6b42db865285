import type { Backoff, Health, Logger } from '@homeiq/shared';
import type { StateDigests } from '../points/restart-digest.js';
import type { StatePipeline } from '../points/state-pipeline.js';
import type { RefusedRanges } from './refused-ranges.js';
import type { StateReplay, WindowOptions } from './state-replay.js';

/** The refill's options and the flow control it offers other history writers (see SpoolRefill). */

/** What the refill reads of the spool (Spool.stats). */
export interface SpoolGauge {
  stats(): { bytes: number; refused: number; full: boolean };
}

/** Flow control for other history writers (the import): wait for room, and hand over windows the spool refused. */
export interface RefillFlow {
  waitForRoom(alive: () => boolean): Promise<void>;
  pace(alive: () => boolean): WindowOptions['pace'];
  /**
   * A window [fromUs, toUs) the spool refused points during, with the entities asked for that HA's `get_states`
   * does not name: resolves once it is saved (state.json, fsynced), so the caller may then record its own
   * progress past the window without a crash in between losing it.
   */
  handOver(fromUs: number, toUs: number, entityIds: readonly string[]): Promise<void>;
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
  /** Pause after a failed attempt (HA error, timeout, reply too large); default 1 s doubling up to 1 min, jittered. */
  backoff?: Backoff | undefined;
  /** µs since the epoch. */
  now(): number;
  /** Persists the ranges (the backfill's state file, fsynced); after a refill run and for `handOver`. */
  save(): Promise<void>;
}
