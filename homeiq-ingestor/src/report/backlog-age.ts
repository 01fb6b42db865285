import type { Cursor } from '../spool/ack-file.js';

const before = (a: Cursor, b: Cursor): boolean =>
  a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);

/**
 * How old the oldest point is that InfluxDB has not confirmed yet. The spool keeps no time per record, so this
 * samples the end of committed data over time: the oldest unsent record was committed after the latest sample
 * whose end the confirmed position has passed, so `now - that sample` is its age (an upper bound, as fine as the
 * sampling). Bounded: past `maxSamples` every other sample is dropped, so a long outage costs resolution, not
 * memory. Points spooled before this process started count from its first sample (a lower bound then).
 */
export class BacklogAge {
  #samples: Array<{ end: Cursor; at: number }> = [];

  constructor(private readonly maxSamples = 512) {}

  /** Records where committed data ends now; returns the oldest unsent point's age in ms (0 when all is sent). */
  sample(end: Cursor, acked: Cursor, unsentBytes: number, now: number): number {
    const last = this.#samples.at(-1);
    if (!last || before(last.end, end)) this.#samples.push({ end: { ...end }, at: now });
    // Keep the newest sample the confirmed position has reached: the backlog started after it.
    let reached = -1;
    for (let i = 0; i < this.#samples.length; i++)
      if (!before(acked, (this.#samples[i] as { end: Cursor }).end)) reached = i;
    if (reached > 0) this.#samples.splice(0, reached);
    if (this.#samples.length > this.maxSamples) this.#samples = this.#samples.filter((_, i) => i === 0 || i % 2 === 1);
    if (unsentBytes <= 0) return 0;
    const first = this.#samples[0];
    return first ? Math.max(0, now - first.at) : 0;
  }
}
