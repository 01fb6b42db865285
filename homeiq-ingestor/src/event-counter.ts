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
  #byType = new Map<string, number>();
  #lastEventAt: string | undefined;

  record(event: HaEvent): void {
    this.#total += 1;
    const type = this.#byType.has(event.event_type) || this.#byType.size < MAX_TYPES ? event.event_type : OTHER;
    this.#byType.set(type, (this.#byType.get(type) ?? 0) + 1);
    this.#lastEventAt = event.time_fired;
  }

  counts(): EventCounts {
    return { total: this.#total, byType: Object.fromEntries(this.#byType), lastEventAt: this.#lastEventAt };
  }
}
