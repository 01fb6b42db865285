/**
 * Numbers, sizes and durations in words for people: the panel's reasons (server and browser bundle) and the
 * ingestor's Home Assistant notifications. No imports, so the panel's browser bundle can take it.
 */

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return 'unknown';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** 1234567 → "1,234,567" (toLocaleString would load ICU's number formatting data for the rest of the process). */
export function count(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function rate(n: number | undefined): string {
  if (n === undefined) return '…';
  return n >= 10 ? n.toFixed(0) : n.toFixed(1);
}

/** "3 min ago" style, for times in the past. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function days(n: number): string {
  return n === 0 ? 'forever' : `${n} day${n === 1 ? '' : 's'}`;
}

/** A length of time in seconds, for "about … left". */
export function duration(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
