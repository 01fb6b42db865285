import type { ExploreResult } from '../../src/api-types.js';
import { microsToRfc3339, spanText } from '../../src/explore/time.js';

// Without DOM types, so that tests outside the browser check the same CSV against InfluxDB.

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
