import type { Logger } from '@homeiq/shared';
import type { RecordBatch } from '../spool/batch.js';
import { nsBefore } from './ha-schema.js';
import type { MigrationFlow } from './migration-flow.js';
import type { JobRecord } from './migration-job.js';
import type { ReportRecord } from './migration-report.js';
import { SourceError, type MigrationSource, type SourcePoint, type SourceSurvey } from './source-types.js';
import type { WindowWriter } from './window-writer.js';
import { WindowSizer } from './windows.js';

/**
 * Windows asked for ahead of the one being encoded: one, so the source answers the next while this one is encoded.
 * Two were slower, not faster (npm run bench -- migrate, 1M points from InfluxDB 1.8 on two cores: 24k and 26k
 * points/s against 28k and 32k with one, live p99 higher too): the migration's writer is what it waits for, and
 * a second read only takes CPU from it (the source and the ingestor used more). `readAhead` sets it (tests).
 */
const READ_AHEAD = 1;

/** One run of a migration over its remaining windows (see Migration for what happens around it). */
export interface RunContext {
  job: JobRecord;
  source: MigrationSource;
  flow: MigrationFlow;
  writer: WindowWriter;
  /** Points aimed at per window without a rate limit (default: what the source reads best). */
  targetPoints: number | undefined;
  /** Windows asked for ahead of the one being encoded (default READ_AHEAD). */
  readAhead?: number;
  log: Logger;
  alive(): boolean;
  /** Lines queued since the add-on started (the rate limit counts from the start of this run). */
  appended(): number;
  /** Hands a window's lines to the queue, with where it ends and what it counted. */
  queue(batch: RecordBatch, endNs: bigint, spanNs: bigint, delta: ReportRecord): void;
  windowDone(): Promise<void>;
}

/**
 * Reads the windows from the job's position to its end: the next is read while one is encoded and queued, and
 * each is encoded only once the flow has room (migration-flow.ts). Returns when every window is queued, or
 * when the run is no longer alive; throws what the source refused.
 */
export async function readWindows(ctx: RunContext): Promise<void> {
  const { job, flow, alive, log } = ctx;
  const onRetry = (err: SourceError, inMs: number): void =>
    log.warn(`the source did not answer (${err.message}); asking again in ${inMs / 1000} s`);
  const survey = await flow.retrying(() => requireHa(ctx.source), alive, onRetry);
  const selected = job.entities ? new Set(job.entities) : undefined;
  // With a rate limit, a window holds about two seconds of work: the saved position then moves as often.
  const rate = job.maxPointsPerSecond;
  const most = ctx.targetPoints ?? ctx.source.windowPoints;
  const target = rate > 0 ? Math.max(50, Math.min(most, rate * 2)) : most;
  const sizer = new WindowSizer(BigInt(job.spanNs), target);
  const to = BigInt(job.toNs);
  const fetch = (start: bigint, end: bigint): { start: bigint; end: bigint; points: Promise<SourcePoint[]> } => {
    const points = flow.retrying(() => ctx.source.read(start, end, { entities: selected }, survey), alive, onRetry);
    points.catch(() => undefined); // awaited when its turn comes; a dropped read-ahead must not be unhandled
    return { start, end, points };
  };
  const paceFrom = { atMs: Date.now(), appended: ctx.appended() };
  /** Windows asked for ahead, contiguous from the cursor; dropped when the next window does not start where they do. */
  let ahead: Array<ReturnType<typeof fetch>> = [];
  const readAhead = Math.max(1, ctx.readAhead ?? READ_AHEAD);
  const topUp = (from: bigint): void => {
    let start = ahead.at(-1)?.end ?? from;
    while (ahead.length < readAhead && start < to) {
      const end = sizer.end(start, to, survey.shards);
      ahead.push(fetch(start, end));
      start = end;
    }
  };
  for (let cursor = BigInt(job.cursorNs); cursor < to; ) {
    await flow.room(alive);
    if (!alive()) return;
    if (ahead[0]?.start !== cursor) ahead = [];
    topUp(cursor);
    let w = ahead.shift() as ReturnType<typeof fetch>;
    let points: SourcePoint[];
    try {
      points = await w.points;
    } catch (err) {
      if (!(err instanceof SourceError && err.kind === 'too_big') || w.end - w.start <= 1_000_000_000n) throw err;
      sizer.tooBig(w.end - w.start);
      ahead = [];
      continue;
    }
    if (!alive()) return;
    // Far more points than aimed at (the first window of a dense range): only the first `target` of them, the
    // rest is read again with the next window, so memory and the work lost to a crash stay bounded.
    const cut = points.length > 2 * target ? cutAt(points, target) : undefined;
    if (cut) {
      w = { ...w, end: cut.end };
      points = cut.points;
      ahead = [];
    }
    sizer.observed(points.length, w.end - w.start);
    topUp(w.end);
    const done = ctx.appended() - paceFrom.appended;
    const out = await ctx.writer.write(points, selected, (n) => flow.pace(rate, done + n, paceFrom.atMs, alive), alive);
    if (!out || !alive()) return;
    ctx.queue(out.batch, w.end, sizer.spanNs, out.delta.r);
    cursor = w.end;
    await ctx.windowDone();
  }
}

/** The points before the time of the `n`th point (in time order), and that time as the window's end. */
function cutAt(points: SourcePoint[], n: number): { end: bigint; points: SourcePoint[] } | undefined {
  const sorted = [...points].sort((a, b) => (nsBefore(a.timeNs, b.timeNs) ? -1 : nsBefore(b.timeNs, a.timeNs) ? 1 : 0));
  const endNs = (sorted[n] as SourcePoint).timeNs;
  const first = sorted.findIndex((p) => p.timeNs === endNs);
  // The window ends there, exclusive; when every point before it shares its time there is nothing to cut.
  return first > 0 ? { end: BigInt(endNs), points: sorted.slice(0, first) } : undefined;
}

/** The survey, refused when the database holds nothing of HA's schema. */
export async function requireHa(src: MigrationSource): Promise<SourceSurvey> {
  const survey = await src.survey();
  if (survey.series.length === 0) {
    const names = survey.foreign.map((f) => f.measurement);
    throw new SourceError(
      'refused',
      `the source holds no data written by Home Assistant's influxdb integration: no measurement has the tags domain and entity_id${names.length > 0 ? ` (measurements found: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})` : ' (it is empty)'}`,
    );
  }
  return survey;
}
