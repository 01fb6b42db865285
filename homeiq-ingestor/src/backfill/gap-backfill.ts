import type { Logger } from '@homeiq/shared';
import type { HaSession } from '../ha/ha-session.js';
import { microsToIso } from '../ha/history.js';
import type { BackfillStatus } from './backfill-status.js';
import { planWindows, type Window } from './chunks.js';
import type { SpoolRefill } from './spool-refill.js';
import type { StateFile } from './state-file.js';
import type { StateReplay } from './state-replay.js';

/** The tail asked for again: changes the recorder may not have committed when the gap was read (bounded for a busy HA). */
const TAIL_US = 5 * 60_000_000;

export interface GapBackfillOptions {
  /** Holds the gap's position (`gapFromUs`) and a fresh install's origin; saved through `save`. */
  state: StateFile;
  /** Its `gap` part is this pass's progress. */
  status: BackfillStatus;
  replay: StateReplay;
  /** Takes the windows the spool refused points during; absent: they are not recovered. */
  refill: SpoolRefill | undefined;
  log: Logger;
  windowUs: number;
  /** The gap starts this long before its position (re-writing a point is harmless). */
  overlapUs: number;
  /** How long after the gap to ask again for its tail (longer than HA's recorder takes to commit). */
  recorderSettleMs: number;
  /** µs since the epoch. */
  now(): number;
  /** The newest event seen live; undefined until there was one. */
  lastSeenUs(): number | undefined;
  save(): Promise<void>;
}

/**
 * Steps 2 and 4 of the connection task (see Backfill): every change HA's recorder has from the gap's position to
 * now, and its tail once more after the recorder has committed it. The position moves on, and is saved, as each
 * window is in the spool, but never past the tail, so that a crash before the tail pass asks for the tail again.
 */
export class GapBackfill {
  constructor(private readonly opts: GapBackfillOptions) {}

  /** The gap from `gapFrom`, in windows; false when the run ended meanwhile. */
  async read(session: HaSession, gapFrom: number, ids: string[], connectedUs: number, alive: () => boolean) {
    const { state, log } = this.opts;
    const windows = this.#windows(gapFrom);
    const g = this.opts.status.gap;
    Object.assign(g, {
      from: microsToIso(gapFrom),
      windowsDone: 0,
      windowsTotal: windows.length,
      points: 0,
      lastError: undefined,
    });
    try {
      for (const w of windows) {
        g.points += await this.#window(session, w, ids, alive);
        if (!alive()) return false;
        g.windowsDone += 1;
        if (w.endUs !== undefined) {
          // The window is in the spool (fsynced): a crash from here on re-reads only what follows it, but never
          // less than the tail (HA's recorder may not have committed its last changes when the window was read).
          state.gapFromUs = Math.max(gapFrom, Math.min(w.endUs, connectedUs - TAIL_US));
          await this.#saveProgress();
        }
      }
    } catch (err) {
      if (alive()) g.lastError = (err as Error).message;
      throw err;
    }
    // Not closed yet: the tail the recorder may not have committed is asked for again by `tail`.
    state.gapFromUs = Math.max(gapFrom, connectedUs - TAIL_US);
    g.completedAt = new Date().toISOString();
    log.info(`backfilled the gap since ${microsToIso(gapFrom)} from Home Assistant's recorder: ${g.points} points`);
    await this.#saveProgress();
    return true;
  }

  /** The tail from `tailFrom`, once HA's recorder has committed it; closes the gap. False when the run ended. */
  async tail(session: HaSession, tailFrom: number, ids: string[], connectedUs: number, alive: () => boolean) {
    const { state } = this.opts;
    await pause(this.opts.recorderSettleMs, alive);
    if (!alive()) return false;
    let points = 0;
    for (const w of this.#windows(tailFrom)) {
      points += await this.#window(session, w, ids, alive);
      if (!alive()) return false;
    }
    state.gapFromUs = undefined;
    if (this.opts.lastSeenUs() === undefined) state.originUs = connectedUs; // still no event: covered up to here
    this.opts.status.gap.points += points;
    this.opts.log.debug(
      `gap tail since ${microsToIso(tailFrom)} asked again once HA's recorder had committed it: ${points} points`,
    );
    await this.#saveProgress();
    return true;
  }

  #windows(fromUs: number): Window[] {
    return planWindows(fromUs - this.opts.overlapUs, undefined, this.opts.windowUs, this.opts.now());
  }

  /** One window of the gap (or its tail); one the spool refused points during is left to the refill. */
  async #window(session: HaSession, w: Window, ids: string[], alive: () => boolean): Promise<number> {
    const { points, refused } = await this.opts.replay.window(session, w, ids, alive);
    if (refused && alive()) this.opts.refill?.refused(w.startUs, w.endUs ?? this.opts.now() + this.opts.overlapUs);
    return points;
  }

  /** Saves the position now; a failure is logged and left to the next periodic save (the backfill goes on). */
  async #saveProgress(): Promise<void> {
    await this.opts
      .save()
      .catch((err: unknown) => this.opts.log.warn(`could not save the backfill position: ${(err as Error).message}`));
  }
}

/** Waits `ms`, or less when the run is no longer alive (a new connection, a drop, stop). */
async function pause(ms: number, alive: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (alive() && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(200, end - Date.now())));
}
