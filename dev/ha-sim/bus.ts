import { isoFromMicros, type Micros } from './clock';
import type { Context } from './types';

export interface BusEvent {
  eventType: string;
  /** Values may be StateRecords; they serialise through their toJSON. */
  data: Record<string, unknown>;
  origin: 'LOCAL' | 'REMOTE';
  timeFired: Micros;
  context: Context;
  /** Serialised once and shared by every subscriber, as HA's message cache does. */
  json?: string;
}

export type Listener = (event: BusEvent) => void;

export const MATCH_ALL = '*';

// core.py: these never reach "*" listeners.
const EXCLUDED_FROM_MATCH_ALL = new Set(['homeassistant_close', 'state_reported']);

/** `Event._as_dict` key order: event_type, data, origin, time_fired, context. */
export function eventJson(event: BusEvent): string {
  event.json ??= JSON.stringify({
    event_type: event.eventType,
    data: event.data,
    origin: event.origin,
    time_fired: isoFromMicros(event.timeFired),
    context: event.context,
  });
  return event.json;
}

export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly warn: (line: string) => void) {}

  listen(eventType: string, listener: Listener): () => void {
    let set = this.listeners.get(eventType);
    if (!set) {
      set = new Set();
      this.listeners.set(eventType, set);
    }
    // Wrap so the same function can be registered twice and removed once.
    const entry: Listener = (e) => listener(e);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  fire(event: BusEvent): void {
    // Specific listeners first, then match-all ones, like EventBus.async_fire_internal.
    const specific = [...(this.listeners.get(event.eventType) ?? [])];
    const all = EXCLUDED_FROM_MATCH_ALL.has(event.eventType) ? [] : [...(this.listeners.get(MATCH_ALL) ?? [])];
    for (const listener of [...specific, ...all]) {
      try {
        listener(event);
      } catch (err) {
        // A broken subscriber must not stop delivery to the others (HA logs and goes on).
        this.warn(`ha-sim: listener for ${event.eventType} failed: ${String(err)}`);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
