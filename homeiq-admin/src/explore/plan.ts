import { HttpError } from '@homeiq/shared';
import type { ExplorePlan, ExploreSource } from '../api-types.js';
import { durationMs, spanText, WINDOWS } from './time.js';

/**
 * Which bucket answers an Explore chart and how it is aggregated. Pure. The chart needs about one point per
 * pixel: the window is the smallest round one that keeps the range within the chart's width, and the source
 * is the coarsest bucket whose summaries are no longer than that window (the 5-minute and hourly summaries the
 * influxdb add-on's tasks write), so two years read 17,520 hourly means per entity instead of millions of points.
 */

export interface PlanInput {
  startMs: number;
  endMs: number;
  /** The chart's width in CSS pixels. */
  widthPx: number;
  source: ExploreSource;
  /** `auto`, `none` (the stored points themselves) or a window such as `1h`. */
  every: string;
  buckets: { raw: string; downsampled: string[] };
}

export interface Plan extends ExplorePlan {
  /** The window in ms, or undefined for the stored points. */
  everyMs: number | undefined;
  /** The source's own period (0 for raw): a summary's time is the end of the period it summarises. */
  periodMs: number;
}

/** Points per entity the automatic window aims at, whatever the width. */
const MIN_POINTS = 100;
const MAX_POINTS = 4000;
/** An explicit window may ask for this many windows per entity at most. */
export const MAX_WINDOWS = 20_000;

const PERIOD_MS = { raw: 0, '5m': 300_000, '1h': 3_600_000 } as const;
const NAMES = { raw: 'raw points', '5m': '5-minute summaries', '1h': 'hourly summaries' } as const;

export function summaryBucket(downsampled: string[], source: '5m' | '1h'): string | undefined {
  return downsampled.find((b) => b.endsWith(`_${source}`));
}

/** The smallest round window that gives at most `points` windows over `spanMs`. */
export function autoWindow(spanMs: number, points: number): string {
  const want = spanMs / points;
  return WINDOWS.find((w) => durationMs(w) >= want) ?? (WINDOWS.at(-1) as string);
}

export function planExplore(i: PlanInput): Plan {
  const span = i.endMs - i.startMs;
  if (!(span > 0)) throw new HttpError(400, 'the range must end after it starts');
  const points = Math.min(MAX_POINTS, Math.max(MIN_POINTS, Math.round(i.widthPx)));
  const auto = i.source === 'auto' && i.every === 'auto';
  let everyMs: number | undefined;
  if (i.every === 'auto') everyMs = durationMs(autoWindow(span, points));
  else if (i.every !== 'none') {
    everyMs = durationMs(i.every);
    if (!Number.isFinite(everyMs)) throw new HttpError(400, `${i.every} is not a window (try 5m, 1h or 1d)`);
    if (span / everyMs > MAX_WINDOWS)
      throw new HttpError(
        400,
        `${spanText(span)} per ${i.every} is more than ${MAX_WINDOWS.toLocaleString('en-US')} points per entity; choose a longer window`,
      );
  }
  // A window over summaries must hold whole periods: 90m windows over hourly summaries would put the hour
  // 01:00–02:00 in the window ending 03:00 (the summary is stamped 02:00), not in the one ending 01:30.
  const fits = (s: '5m' | '1h'): boolean =>
    everyMs !== undefined && everyMs % PERIOD_MS[s] === 0 && summaryBucket(i.buckets.downsampled, s) !== undefined;
  let source: 'raw' | '5m' | '1h';
  if (i.source !== 'auto') source = i.source;
  else if (fits('1h')) source = '1h';
  else if (fits('5m')) source = '5m';
  else source = 'raw';
  const bucket = source === 'raw' ? i.buckets.raw : summaryBucket(i.buckets.downsampled, source);
  if (!bucket) throw new HttpError(400, `HomeIQ InfluxDB has no bucket of ${NAMES[source]}`);
  const periodMs = PERIOD_MS[source];
  if (everyMs !== undefined && everyMs < periodMs) {
    if (i.every !== 'auto')
      throw new HttpError(400, `the ${NAMES[source]} cannot be shown per ${i.every}; choose ${source} or longer`);
    everyMs = periodMs;
  }
  if (everyMs !== undefined && periodMs > 0 && everyMs % periodMs !== 0)
    throw new HttpError(400, `the ${NAMES[source]} cannot be shown per ${i.every}; choose a multiple of ${source}`);
  // A summary per its own period is the summary itself: aggregating again would only move it.
  if (everyMs === periodMs && periodMs > 0) everyMs = undefined;
  const every = everyMs === undefined ? undefined : (WINDOWS.find((w) => durationMs(w) === everyMs) ?? i.every);
  const field = source === 'raw' ? 'value' : 'mean';
  const how = every ? `, mean per ${every}` : source === 'raw' ? ', not aggregated' : '';
  const why = auto ? ` (chosen for ${spanText(span)} at ${Math.round(i.widthPx)} px)` : '';
  return {
    source,
    bucket,
    field,
    every,
    everyMs,
    periodMs,
    auto,
    label: `${NAMES[source]} from ${bucket}${source === 'raw' ? '' : ` (${field})`}${how}${why}`,
  };
}
