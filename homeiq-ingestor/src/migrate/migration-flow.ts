import { setTimeout as sleep } from 'node:timers/promises';
import { SourceError } from './source-types.js';

/**
 * How a migration keeps out of live ingestion's way, and how it rides out a source that stops answering:
 * - a window starts only while the migration's own spool holds less than half its budget (InfluxDB keeps up with
 *   it), live ingestion's spool holds less than `liveBacklogBytes` (the live writer is not behind), and, for the
 *   HomeIQ layout, HA's registries were read (the area/device tags of the points);
 * - an optional rate limit in points per second;
 * - a source that cannot be reached or answers 5xx is asked again after 1, 2, 4, 8, 16 and 30 s before the
 *   migration stops with the error (it resumes from where it stopped).
 */

export interface FlowOptions {
  spool: { stats(): { bytes: number } };
  budgetBytes: number;
  liveSpool: { stats(): { bytes: number } };
  liveBacklogBytes: number;
  /** Why the migration's writer cannot write right now, if it cannot. */
  writerError(): string | undefined;
  registriesReady?: (() => boolean) | undefined;
  pollMs?: number;
  retryDelaysMs?: number[];
}

const mib = (b: number): string => `${Math.round((b / 1048576) * 10) / 10} MiB`;

export class MigrationFlow {
  /** Why the migration is waiting right now (for the status), undefined while it works. */
  waitingFor: string | undefined;

  constructor(private readonly opts: FlowOptions) {}

  #blocker(): string | undefined {
    const own = this.opts.spool.stats().bytes;
    if (own >= this.opts.budgetBytes / 2) {
      const err = this.opts.writerError();
      return `InfluxDB to take the ${mib(own)} the migration has queued (its budget is ${mib(this.opts.budgetBytes)})${err ? `: ${err}` : ''}`;
    }
    const live = this.opts.liveSpool.stats().bytes;
    if (live > this.opts.liveBacklogBytes) return `live ingestion to catch up (${mib(live)} of live points waiting)`;
    if (this.opts.registriesReady && !this.opts.registriesReady())
      return "Home Assistant's registries to be read (the area and device tags of the points)";
    return undefined;
  }

  /** Resolves once a window may start (or `alive` turns false). */
  async room(alive: () => boolean): Promise<void> {
    for (let why = this.#blocker(); why !== undefined && alive(); why = this.#blocker()) {
      this.waitingFor = why;
      await sleep(this.opts.pollMs ?? 200);
    }
    this.waitingFor = undefined;
  }

  /** Waits while the run is ahead of `maxPerSecond` (0: never); `done` = points written since `sinceMs`. */
  async pace(maxPerSecond: number, done: number, sinceMs: number, alive: () => boolean): Promise<void> {
    if (maxPerSecond <= 0) return;
    const due = sinceMs + (done / maxPerSecond) * 1000 - Date.now();
    if (due > 0 && alive()) await sleep(Math.min(due, 5000));
  }

  /**
   * `step()`, asked again while the source is unreachable or failing (5xx) and the run alive; `onRetry` is told
   * each time (for one log line). Other errors, and the last failure, are thrown.
   */
  async retrying<T>(
    step: () => Promise<T>,
    alive: () => boolean,
    onRetry: (err: SourceError, inMs: number) => void,
  ): Promise<T> {
    const delays = this.opts.retryDelaysMs ?? [1000, 2000, 4000, 8000, 16_000, 30_000];
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await step();
      } catch (err) {
        const transient = err instanceof SourceError && (err.kind === 'unreachable' || err.kind === 'bad_answer');
        const delay = delays[attempt];
        if (!transient || delay === undefined || !alive()) throw err;
        onRetry(err, delay);
        this.waitingFor = `the source to answer again (${err.message})`;
        const end = Date.now() + delay;
        while (alive() && Date.now() < end) await sleep(Math.min(200, end - Date.now()));
        this.waitingFor = undefined;
        if (!alive()) throw err;
      }
    }
  }
}
