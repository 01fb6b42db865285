import { Backoff } from '@homeiq/shared';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HaSession } from '../ha/ha-session.js';
import { microsToIso } from '../ha/history.js';
import { isHaState } from '../points/state-to-points.js';
import type { RefillStatus } from './backfill-status.js';
import { RecorderSettle } from './recorder-settle.js';
import type { RefillFlow, SpoolRefillOptions } from './refill-options.js';
import type { TimeRange } from './refused-ranges.js';
import type { WindowOptions, WindowResult } from './state-replay.js';

export type { RefillFlow, SpoolGauge, SpoolRefillOptions } from './refill-options.js';

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
 * the refill resumes from it once there is room again, with a smaller window. A window that fails (HA error,
 * timeout, reply too large) is retried with half its size after a jittered backoff. Health `spool`: red while
 * full, amber while something is to be recovered, green after. Events other than state changes are not in the
 * recorder's history and cannot be recovered.
 */
export class SpoolRefill implements RefillFlow {
  #session: HaSession | undefined;
  #timer: NodeJS.Timeout | undefined;
  #run: Promise<void> | undefined;
  #stopped = true;
  #full = false;
  /** HA's recorder may not have committed the newest refused states yet: ranges wait for it. */
  readonly #settle: RecorderSettle;
  readonly #backoff: Backoff;
  /** No attempt before this (ms, our clock) after a failed one. */
  #retryAtMs = 0;
  /** The error last logged: a failure repeating it is not logged again until a window succeeds. */
  #loggedError: string | undefined;
  #spanUs: number;
  #healthShown = false;
  readonly #counts = {
    recovered: 0,
    pauses: 0,
    failures: 0,
    startedAt: undefined as string | undefined,
    completedAt: undefined as string | undefined,
    lastError: undefined as string | undefined,
  };
  /** From the first run over pending ranges until none is left: for the log lines. */
  #episode: { startedMs: number; points: number; windows: number; pauses: number; failures: number } | undefined;

  constructor(private readonly opts: SpoolRefillOptions) {
    this.#spanUs = this.#maxSpanUs;
    this.#settle = new RecorderSettle(opts.recorderSettleMs ?? 12_000);
    this.#backoff = opts.backoff ?? new Backoff({ initialMs: 1000, maxMs: 60_000 });
  }

  get #maxSpanUs(): number {
    return this.opts.windowUs ?? HOUR_US;
  }

  start(): void {
    this.#stopped = false;
    // Ranges loaded from state.json: the last one was closed just now (at the stop's last event seen).
    if (this.opts.ranges.first()) this.#settle.closed();
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
    this.#retryAtMs = 0; // a failure on the last connection says little about this one
    this.#tick();
  }

  /** Spool `onFullChange`. */
  onFullChange(full: boolean): void {
    this.#full = full;
    const seen = this.opts.pipeline.lastSeenUs ?? this.opts.now();
    if (full) {
      const fromUs = seen - (this.opts.overlapUs ?? 2_000_000);
      this.opts.ranges.open(fromUs);
      this.opts.log.info(
        `state changes the spool refuses from ${microsToIso(fromUs)} on are recovered from HA's recorder once it has room; other events refused meanwhile are lost`,
      );
    } else {
      const from = this.opts.ranges.openFromUs;
      this.opts.ranges.close(seen + 1);
      if (from !== undefined) this.#settle.closed(from, Math.max(seen + 1, from + 1));
    }
    this.#reflect();
  }

  /** A replay window [fromUs, toUs) during which the spool refused points (the gap: saved with its position). */
  refused(fromUs: number, toUs: number): void {
    this.opts.ranges.add(fromUs, toUs);
    this.#reflect();
  }

  async handOver(fromUs: number, toUs: number, entityIds: readonly string[]): Promise<void> {
    this.refused(fromUs, toUs);
    const dropped = this.opts.ranges.addEntities(entityIds);
    if (dropped > 0)
      this.opts.log.warn(
        `${plural(dropped, 'entity')} HA no longer has cannot be remembered for the recovery of refused states (too many); their refused states are not recovered`,
      );
    await this.opts.save();
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
      return s.full || s.bytes >= this.opts.maxBytes * (this.opts.highWater ?? 0.8)
        ? this.waitForRoom(alive)
        : undefined;
    };
  }

  status(): RefillStatus {
    const r = this.opts.ranges;
    const pending: RefillStatus['pending'] = r
      .list()
      .map((x) => ({ from: microsToIso(x.fromUs), to: microsToIso(x.toUs) }));
    if (r.openFromUs !== undefined) pending.push({ from: microsToIso(r.openFromUs), to: undefined });
    pending.sort((a, b) => (a.from < b.from ? -1 : 1));
    const state = this.#run ? 'running' : r.empty ? 'idle' : 'pending';
    return { state, pending, pendingSeconds: r.pendingUs / 1e6, ...this.#counts };
  }

  /** The oldest range HA's recorder has settled. */
  #nextReady(): TimeRange | undefined {
    return this.opts.ranges.list().find((r) => this.#settle.ready(r));
  }

  #tick(): void {
    if (this.#stopped || this.#run || !this.opts.ranges.first()) return;
    const session = this.#session;
    if (
      !session ||
      session.closed ||
      this.#full ||
      Date.now() < this.#retryAtMs ||
      !this.hasRoom() ||
      !this.#nextReady()
    )
      return;
    this.#run = this.#refill(session)
      .catch((err: unknown) => this.#failed(session, (err as Error).message))
      .finally(() => {
        this.#run = undefined;
        this.#reflect();
      });
    this.#reflect();
  }

  /** A run failed: the next attempt waits out the backoff (on this connection; a new one tries at once). */
  #failed(session: HaSession, message: string): void {
    this.#counts.lastError = message;
    // A run cut short by a drop, a new connection or stop did not fail on HA's side: nothing to back off from.
    if (session.closed || this.#stopped || this.#session !== session) return;
    this.#counts.failures += 1;
    if (this.#episode) this.#episode.failures += 1;
    const delayMs = this.#backoff.next();
    this.#retryAtMs = Date.now() + delayMs;
    if (message !== this.#loggedError) {
      this.#loggedError = message;
      this.opts.log.warn(
        `recovering states refused while the spool was full failed: ${message}; retried after a pause that grows with each failure, a failed window with half its size (this error is not logged again)`,
      );
    } else
      this.opts.log.debug(
        `recovering refused states failed again: ${message}; next attempt in ${Math.round(delayMs / 100) / 10} s`,
      );
  }

  async #refill(session: HaSession): Promise<void> {
    const alive = (): boolean => !this.#stopped && this.#session === session && !session.closed;
    const { log, ranges } = this.opts;
    const reply = await session.command<unknown[]>({ type: 'get_states' });
    if (!alive()) return;
    const known = new Set((Array.isArray(reply) ? reply : []).filter(isHaState).map((s) => s.entity_id));
    for (const id of this.opts.digests.ids()) known.add(id);
    // The extra entities (import windows handed over) only grow while ranges are left: their count says when to look again.
    let extra = -1;
    let sorted: string[] = [];
    const entities = (): string[] => {
      const more = ranges.entities();
      if (more.length !== extra) {
        extra = more.length;
        sorted = [...new Set([...known, ...more])].filter((id) => this.opts.accepts(id)).sort();
      }
      return sorted;
    };
    const first = ranges.first();
    const list = ranges.list();
    if (!first) return;
    if (!this.#episode) {
      this.#episode = { startedMs: Date.now(), points: 0, windows: 0, pauses: 0, failures: 0 };
      Object.assign(this.#counts, {
        startedAt: new Date().toISOString(),
        completedAt: undefined,
        lastError: undefined,
      });
      log.info(
        `recovering states refused while the spool was full (from HA's recorder): ${microsToIso(first.fromUs)} to ${microsToIso(list.at(-1)?.toUs ?? first.toUs)} ` +
          `(${Math.round(ranges.pendingUs / 1e6)} s of HA time, ${entities().length} entities; ${this.opts.spool.stats().refused} points refused so far)`,
      );
    } else log.debug(`resuming the recovery of refused states at ${microsToIso(first.fromUs)}`);
    const ep = this.#episode;
    /** Where the last window replayed ended: the replay's "state before" holds only for a window starting there. */
    let replayedToUs: number | undefined;
    while (ranges.first()) {
      if (!alive() || !this.hasRoom()) return; // resumes on a later tick
      // A range closed during this run waits for HA's recorder like any other (it resumes on a later tick).
      const ready = this.#nextReady();
      if (!ready) return;
      const w = { startUs: ready.fromUs, endUs: Math.min(ready.toUs, ready.fromUs + this.#spanUs) };
      // Between two ranges lie states written live that the replay did not see: the last row before the hole is
      // not the state before the next range, and a value recurring there would be taken for a restart artefact.
      if (w.startUs !== replayedToUs) this.opts.replay.clear();
      let res: WindowResult;
      try {
        res = await this.opts.replay.window(session, w, entities(), alive, {
          stopOnRefusal: true,
          pace: this.pace(alive),
        });
      } catch (err) {
        // A reply too large or too slow for HA: a smaller window stands a better chance.
        this.#spanUs = Math.max(MIN_WINDOW_US, Math.floor((w.endUs - w.startUs) / 2));
        throw err;
      }
      if (!alive()) return;
      if (res.refused) {
        ep.pauses += 1;
        this.#counts.pauses += 1;
        this.#spanUs = Math.max(MIN_WINDOW_US, Math.floor((w.endUs - w.startUs) / 2));
        log.info(
          `recovering refused states paused at ${microsToIso(w.startUs)}: the spool refused points again; it resumes there once it has room`,
        );
        return;
      }
      ranges.subtract(w.startUs, w.endUs);
      replayedToUs = w.endUs;
      this.#backoff.reset();
      this.#loggedError = undefined;
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
        `(${plural(ep.windows, 'window')}, ${plural(ep.pauses, 'pause')}, ${ep.failures > 0 ? `${plural(ep.failures, 'failed attempt')}, ` : ''}${Math.round((Date.now() - ep.startedMs) / 100) / 10} s)`,
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
      h.set(
        CHECK,
        'red',
        `spool full (${mb} MB unsent): new points are refused; the states among them are recovered from HA's recorder once it has room`,
        'Make InfluxDB writable again, or raise spool_max_mb',
      );
    } else if (first) {
      const what = this.#run
        ? 'running'
        : `waits until less than ${Math.round(mb * (this.opts.lowWater ?? 0.5))} MB is unsent and HA is connected`;
      h.set(
        CHECK,
        'amber',
        `recovering states refused while the spool was full (from HA's recorder), from ${microsToIso(first.fromUs)}: ${what}`,
        'Clears by itself once InfluxDB has taken the backlog; other event types refused meanwhile are not recovered',
      );
    } else if (this.#healthShown) h.set(CHECK, 'green', 'spool has room');
    else return;
    this.#healthShown = true;
  }
}
