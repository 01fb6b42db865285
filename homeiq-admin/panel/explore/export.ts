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
