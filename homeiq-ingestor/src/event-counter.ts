import type { HaEvent } from './ha/messages.js';

export interface EventCounts {
  total: number;
  byType: Record<string, number>;
  lastEventAt: string | undefined;
}

/** Bounded: event types beyond the cap are counted together, so a noisy integration cannot grow the map. */
const MAX_TYPES = 200;
const OTHER = '(other)';

/** Counts the events received from Home Assistant, by type. */
export class EventCounter {
  #total = 0;
  /** A mutable count per type: one map lookup per event (this runs for every event the socket delivers). */
  #byType = new Map<string, { n: number }>();
  #lastEventAt: string | undefined;

  record(event: HaEvent): void {
    this.#total += 1;
    const c = this.#byType.get(event.event_type);
    if (c !== undefined) c.n += 1;
    else if (this.#byType.size < MAX_TYPES) this.#byType.set(event.event_type, { n: 1 });
    else {
      const other = this.#byType.get(OTHER);
      if (other !== undefined) other.n += 1;
      else this.#byType.set(OTHER, { n: 1 });
    }
    this.#lastEventAt = event.time_fired;
  }

  counts(): EventCounts {
    return {
      total: this.#total,
      byType: Object.fromEntries([...this.#byType].map(([k, v]) => [k, v.n])),
      lastEventAt: this.#lastEventAt,
    };
  }
}
