import type { ExploreResult } from '../../src/api-types.js';
import { microsToRfc3339, spanText } from '../../src/explore/time.js';

/** A CSV field, quoted when it must be (RFC 4180). */
function field(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * What the chart shows, as CSV: one row per time (exact, RFC 3339 in UTC as InfluxDB writes it), one column per
 * entity (numbers as the server sent them, states where they change), then the previous period's columns at
 * the times they are drawn at. Pure.
 */
export function exploreCsv(r: ExploreResult): string {
  const columns: Array<{ name: string; at: Map<number, string> }> = [];
  const add = (name: string, times: number[], cell: (i: number) => string): void => {
    const at = new Map<number, string>();
    times.forEach((t, i) => {
      at.set(t, cell(i));
    });
    columns.push({ name, at });
  };
  for (const s of r.series) add(s.entityId, s.times, (i) => String(s.values[i]));
  for (const b of r.bands) add(b.entityId, b.times, (i) => b.states[i] ?? '');
  if (r.previous) {
    const earlier = `previous period, ${spanText(r.previous.shiftMs)} earlier`;
    for (const s of r.previous.series) add(`${s.entityId} (${earlier})`, s.times, (i) => String(s.values[i]));
  }
  const times = [...new Set(columns.flatMap((c) => [...c.at.keys()]))].sort((a, b) => a - b);
  const lines = [['time', ...columns.map((c) => c.name)].map(field).join(',')];
  for (const t of times) lines.push([microsToRfc3339(t), ...columns.map((c) => field(c.at.get(t) ?? ''))].join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Saves `blob` as a download named `name` (a blob: link, so nothing leaves the page). */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** `homeiq-explore-20260101T0000-20260108T0000.<ext>`: the range, in UTC, without characters files dislike. */
export function exportName(startMs: number, endMs: number, ext: string): string {
  const t = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `homeiq-explore-${t(startMs)}-${t(endMs)}.${ext}`;
}

export interface Stats {
  min: number;
  mean: number;
  max: number;
  last: number;
}

/** Min, mean, max and last of the values shown; undefined without values. */
export function stats(values: readonly number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, mean: sum / values.length, max, last: values.at(-1) as number };
}

/** A number for the legend: four significant digits, no exponent for everyday sizes. */
export function num(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 10_000) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(4)));
}
