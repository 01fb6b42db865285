import type { TimeRange } from './refused-ranges.js';

/** A span of HA time that was closed (or loaded) at some moment, with the moment it may be asked for. */
interface Closing extends TimeRange {
  /** Our clock (ms). */
  readyMs: number;
}

/**
 * When a refused range may be asked of HA's recorder, which commits every few seconds: only once every closing
 * that touched the range is older than the settle time. Per closing rather than one deadline for all, so a range
 * closed while a refill runs waits without holding back older ranges that settled long ago.
 *
 * Bounded: beyond `maxClosings` unsettled closings, the two oldest are merged into one covering both that settles
 * at the later time, so a range can only wait longer than it needs to, never shorter.
 */
export class RecorderSettle {
  #closings: Closing[] = [];

  constructor(
    private readonly settleMs: number,
    private readonly maxClosings = 32,
  ) {}

  /** [fromUs, toUs) of HA time was just closed; without bounds every range waits (ranges loaded at start). */
  closed(fromUs = -Infinity, toUs = Infinity, nowMs = Date.now()): void {
    this.#closings.push({ fromUs, toUs, readyMs: nowMs + this.settleMs });
    while (this.#closings.length > this.maxClosings) {
      const [a, b] = this.#closings.splice(0, 2) as [Closing, Closing];
      this.#closings.unshift({
        fromUs: Math.min(a.fromUs, b.fromUs),
        toUs: Math.max(a.toUs, b.toUs),
        readyMs: Math.max(a.readyMs, b.readyMs),
      });
    }
  }

  /** No closing younger than the settle time overlaps `r`. */
  ready(r: TimeRange, nowMs = Date.now()): boolean {
    this.#closings = this.#closings.filter((c) => c.readyMs > nowMs);
    return !this.#closings.some((c) => c.fromUs < r.toUs && r.fromUs < c.toUs);
  }
}
