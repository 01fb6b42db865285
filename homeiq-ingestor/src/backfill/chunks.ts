/**
 * Chunking of a history range: by time window and by entity batch, so each `history/history_during_period`
 * reply (one WebSocket message, built in HA's recorder executor) stays small and our memory stays bounded.
 */

/** A window [startUs, endUs); `endUs` undefined = up to Home Assistant's "now" (only the last window of an open range). */
export interface Window {
  startUs: number;
  endUs: number | undefined;
}

/**
 * Windows of `windowUs` covering [fromUs, toUs). With `toUs` undefined the range is open: windows up to
 * `nowUs`, the last one without an end, so nothing between our clock and HA's is missed.
 */
export function planWindows(fromUs: number, toUs: number | undefined, windowUs: number, nowUs: number): Window[] {
  if (!(windowUs > 0)) throw new Error('windowUs must be positive');
  const out: Window[] = [];
  const stop = toUs ?? nowUs;
  let start = fromUs;
  while (start + windowUs < stop) {
    out.push({ startUs: start, endUs: start + windowUs });
    start += windowUs;
  }
  if (toUs === undefined) out.push({ startUs: start, endUs: undefined });
  else if (start < toUs) out.push({ startUs: start, endUs: toUs });
  return out;
}

/** Consecutive batches of at most `size` items. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new Error('size must be at least 1');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
