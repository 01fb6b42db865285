import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { HaSession } from '../ha/ha-session.js';
import { historyCommand, historyRowToState, isoToMicros } from '../ha/history.js';
import type { Digest, StateDigests } from '../points/restart-digest.js';
import type { StatePipeline } from '../points/state-pipeline.js';
import type { HaState } from '../points/state-to-points.js';
import { batches, type Window } from './chunks.js';

export interface StateReplayOptions {
  pipeline: StatePipeline;
  digests: StateDigests;
  /** `stats().refused` tells a window whether the spool refused points meanwhile (without it: never). */
  spool: { sync(): Promise<void>; stats?(): { refused: number } };
  batchSize?: number | undefined;
}

export interface WindowOptions {
  onBatch?: ((done: number, total: number) => void) | undefined;
  /**
   * Flow control, asked before every row: a promise to wait for (the spool is close to full) or undefined (go on).
   * A reply waiting for it stays in memory: one batch of one window at most.
   */
  pace?: (() => Promise<void> | undefined) | undefined;
  /** Stop at the first point the spool refuses (the window is then incomplete, `refused` true). */
  stopOnRefusal?: boolean | undefined;
}

export interface WindowResult {
  /** Points written (durable in the spool unless `refused` stopped the window early). */
  points: number;
  /** The spool refused a point while the window was written (one of ours, or any other: it was full meanwhile). */
  refused: boolean;
}

const YIELD_EVERY = 500;

/**
 * At most this many `history_during_period` calls per window: with more entities than 50 × this, each call asks
 * for more entities. A window must finish quickly, as the backfill position moves on window by window (a crash
 * re-reads the window it was in); entities HA no longer has (kept from earlier writes) cost it nothing more.
 */
export const MAX_HISTORY_CALLS_PER_WINDOW = 40;

/** Entities per history call for `n` entities: `base` (50), more when that would take too many calls. */
export function historyBatchSize(n: number, base = 50): number {
  return Math.max(base, Math.ceil(n / MAX_HISTORY_CALLS_PER_WINDOW));
}

/** The state before `t` (or at it): the newer of the previous history row and what we last wrote. */
function latestUpTo(t: number, ...candidates: Array<Digest | undefined>): Digest | undefined {
  let best: Digest | undefined;
  for (const c of candidates) if (c && c.t <= t && (!best || c.t > best.t)) best = c;
  return best;
}

/** The newest `last_updated` among `states` (µs), in HA's clock; undefined when there is none. */
export function newestUpdate(states: readonly HaState[]): number | undefined {
  let newest: number | undefined;
  for (const s of states) {
    const t = isoToMicros(s.last_updated);
    if (t !== undefined && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

/**
 * Writes the states Home Assistant gives us after the fact (history windows, the `get_states` snapshot) through the
 * pipeline, each compared with the state in effect before it, so a restart artefact among them is recognised.
 */
export class StateReplay {
  /** The last history row seen per entity in the current run (bounded by the number of entities). */
  readonly #prev = new Map<string, Digest>();

  constructor(private readonly opts: StateReplayOptions) {}

  clear(): void {
    this.#prev.clear();
  }

  #before(entityId: string, t: number): Digest | undefined {
    return latestUpTo(t, this.#prev.get(entityId), this.opts.digests.at(entityId, t));
  }

  /** The snapshot's states; undefined when the run is no longer alive. `newest` is the newest `last_updated` among them. */
  async snapshot(
    states: readonly HaState[],
    alive: () => boolean,
  ): Promise<{ written: number; newest: number | undefined } | undefined> {
    let written = 0;
    let newest: number | undefined;
    for (const [i, s] of states.entries()) {
      const t = isoToMicros(s.last_updated);
      if (t !== undefined && (newest === undefined || t > newest)) newest = t;
      // Compared like a history row: with what was in effect at its time (a live write may already be newer).
      const prev = t === undefined ? undefined : this.#before(s.entity_id, t);
      if (this.opts.pipeline.writeState(s, prev).written) written += 1;
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop();
      if (!alive()) return undefined;
    }
    return { written, newest };
  }

  /**
   * One time window for every entity, batch by batch; each row goes through the pipeline compared with the
   * state before it in HA's history (so a restart artefact inside the range is recognised too). Returns the
   * points written, once they are durable in the spool, and whether the spool refused any point meanwhile.
   */
  async window(
    session: HaSession,
    w: Window,
    ids: string[],
    alive: () => boolean,
    opts: WindowOptions = {},
  ): Promise<WindowResult> {
    let points = 0;
    const refusedBefore = this.#refusedCount();
    const refused = (): boolean => this.#refusedCount() > refusedBefore;
    const stopped = (): boolean => opts.stopOnRefusal === true && refused();
    const all = batches(ids, historyBatchSize(ids.length, this.opts.batchSize ?? 50));
    for (const [bi, batch] of all.entries()) {
      // HA's bounds are exclusive: ask from 1 µs before the window so a state exactly at its start is included.
      const reply = await session.command<Record<string, unknown>>(historyCommand(batch, w.startUs - 1, w.endUs));
      if (!alive() || stopped()) return { points, refused: refused() };
      let n = 0;
      for (const [entityId, rows] of Object.entries(reply ?? {})) {
        if (!Array.isArray(rows)) continue;
        for (const row of rows) {
          const state = historyRowToState(entityId, row);
          if (!state) continue;
          const wait = opts.pace?.();
          if (wait) {
            await wait;
            if (!alive() || stopped()) return { points, refused: refused() };
          }
          const t = isoToMicros(state.last_updated) ?? 0;
          const out = this.opts.pipeline.writeState(state, this.#before(entityId, t));
          if (out.written) points += 1;
          if (out.digest) this.#prev.set(entityId, out.digest);
          if (!out.written && out.verdict === 'write' && stopped()) return { points, refused: true };
          if (++n % YIELD_EVERY === 0) {
            await yieldToLoop();
            if (stopped()) return { points, refused: true };
          }
        }
      }
      await this.opts.spool.sync();
      opts.onBatch?.(bi + 1, all.length);
    }
    return { points, refused: refused() };
  }

  #refusedCount(): number {
    return this.opts.spool.stats?.().refused ?? 0;
  }
}
