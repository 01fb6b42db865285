/**
 * Times and durations for Explore, shared by the server and the panel (no Node imports). Points carry HA's
 * microsecond timestamps; Unix microseconds are exact as integers in a double until the year 2255, so they
 * travel as numbers, and the CSV export prints them back as InfluxDB does (RFC 3339, no trailing zeros).
 */

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Unix µs of an RFC 3339 time (digits past the microsecond are dropped); NaN when it is not one. */
export function rfc3339ToMicros(s: string): number {
  const m = RFC3339.exec(s);
  if (!m) return Number.NaN;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  const micros = Number(`${m[2] ?? ''}000000`.slice(0, 6));
  return seconds * 1000 + micros;
}

/** RFC 3339 in UTC as InfluxDB writes it: `2026-01-01T10:00:00.1234Z` (fraction without trailing zeros). */
export function microsToRfc3339(us: number): string {
  const ms = Math.floor(us / 1000);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = String(us - Math.floor(us / 1e6) * 1e6)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const DURATION = /^([1-9]\d{0,5})(s|m|h|d|w)$/;

/** Milliseconds of a simple Flux duration (`30s`, `5m`, `1h`, `1d`, `1w`); NaN for anything else. */
export function durationMs(d: string): number {
  const m = DURATION.exec(d);
  return m ? Number(m[1]) * (UNITS[m[2] as string] as number) : Number.NaN;
}

/** The windows Explore aggregates by: round values, so a chart's points fall on the clock's minutes, hours, days. */
export const WINDOWS = [
  '1s',
  '2s',
  '5s',
  '10s',
  '15s',
  '30s',
  '1m',
  '2m',
  '5m',
  '10m',
  '15m',
  '30m',
  '1h',
  '2h',
  '3h',
  '6h',
  '12h',
  '1d',
  '2d',
  '7d',
  '30d',
] as const;

/** A span in words: `7 days`, `2 years`, `90 minutes`. */
export function spanText(ms: number): string {
  const units: Array<[number, string]> = [
    [365 * 86_400_000, 'year'],
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    const n = ms / size;
    if (n >= 2 || (n >= 1 && Number.isInteger(n))) {
      const r = n >= 10 ? Math.round(n) : Math.round(n * 10) / 10;
      return `${r} ${name}${r === 1 ? '' : 's'}`;
    }
  }
  return `${Math.round(ms)} ms`;
}
