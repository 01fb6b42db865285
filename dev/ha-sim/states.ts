import type { EventBus } from './bus';
import { isoFromMicros, toMicros, ulidAt, type Clock, type Micros } from './clock';
import type { Attributes, Context, SetStateOptions, State } from './types';

// homeassistant/core.py VALID_ENTITY_ID
const VALID_ENTITY_ID = /^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$/;
const MAX_STATE_LENGTH = 255;

export function validEntityId(entityId: string): boolean {
  return VALID_ENTITY_ID.test(entityId);
}

export function domainOf(entityId: string): string {
  return entityId.slice(0, entityId.indexOf('.'));
}

/** Python `==` on JSON-like values (dict order does not matter, list order does). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Attributes)[k], (b as Attributes)[k]))
  );
}

export class StateRecord {
  constructor(
    readonly entityId: string,
    readonly state: string,
    readonly attributes: Readonly<Attributes>,
    readonly lastChanged: Micros,
    readonly lastUpdated: Micros,
    /** The last write, changed or not (2024.4+); what HA's recorder and templates see. */
    readonly lastReported: Micros,
    readonly context: Readonly<Context>,
    /**
     * What `last_reported` says on the wire. HA caches a state's dict the first time it is serialised (for the
     * state_changed event, right after the change) and an unchanged write moves `last_reported` without clearing
     * that cache: over the WebSocket and REST APIs it stays at the change (measured on 2025.4.4). Undefined: an HA
     * from before last_reported (2024.3), which sends no such key.
     */
    readonly shownReported: Micros | undefined,
  ) {}

  get domain(): string {
    return domainOf(this.entityId);
  }

  /** `State.as_dict` of the emulated version, keys in the same order. */
  toJSON(): State {
    const changed = isoFromMicros(this.lastChanged);
    const updated = isoFromMicros(this.lastUpdated);
    if (this.shownReported === undefined)
      return {
        entity_id: this.entityId,
        state: this.state,
        attributes: this.attributes as Attributes,
        last_changed: changed,
        last_updated: updated,
        context: { ...this.context },
      };
    return {
      entity_id: this.entityId,
      state: this.state,
      attributes: this.attributes as Attributes,
      last_changed: changed,
      last_reported: isoFromMicros(this.shownReported),
      last_updated: updated,
      context: { ...this.context },
    };
  }
}

export class StateMachine {
  private readonly states = new Map<string, StateRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly bus: EventBus,
    /** HA 2024.4+: unchanged writes move last_reported and fire state_reported; before, they do nothing. */
    private readonly reports = true,
  ) {}

  get(entityId: string): StateRecord | undefined {
    return this.states.get(entityId.toLowerCase());
  }

  all(): StateRecord[] {
    return [...this.states.values()];
  }

  /** Mirrors `StateMachine.async_set_internal`. */
  set(entityId: string, state: string, attributes: Attributes = {}, opts: SetStateOptions = {}): StateRecord {
    const id = entityId.toLowerCase();
    if (!validEntityId(id)) throw new Error(`Invalid entity ID: ${entityId}`);
    if (state.length > MAX_STATE_LENGTH) throw new Error(`Invalid state with length ${state.length}`);
    const now = opts.lastChanged !== undefined ? toMicros(opts.lastChanged) : this.clock.now();
    const context: Context = {
      id: opts.context?.id ?? ulidAt(now),
      parent_id: opts.context?.parent_id ?? null,
      user_id: opts.context?.user_id ?? null,
    };
    const attrs = structuredClone(attributes);
    const old = this.states.get(id);
    const sameState = old !== undefined && old.state === state && !opts.forceUpdate;
    const sameAttr = old !== undefined && deepEqual(old.attributes, attrs);

    if (old && sameState && sameAttr) {
      // Nothing changed: only last_reported moves and HA fires state_reported (2024.3: nothing happens at all).
      if (!this.reports) return old;
      const reported = new StateRecord(
        id,
        old.state,
        old.attributes,
        old.lastChanged,
        old.lastUpdated,
        now,
        old.context,
        old.shownReported,
      );
      this.states.set(id, reported);
      this.bus.fire({
        eventType: 'state_reported',
        data: { entity_id: id, old_last_reported: isoFromMicros(old.lastReported), new_state: reported },
        origin: 'LOCAL',
        timeFired: now,
        context,
      });
      return reported;
    }

    const lastChanged = old && sameState ? old.lastChanged : now;
    const record = new StateRecord(id, state, attrs, lastChanged, now, now, context, this.reports ? now : undefined);
    this.states.set(id, record);
    this.bus.fire({
      eventType: 'state_changed',
      data: { entity_id: id, old_state: old ?? null, new_state: record },
      origin: 'LOCAL',
      timeFired: now,
      context,
    });
    return record;
  }

  remove(entityId: string, context?: Context): boolean {
    const id = entityId.toLowerCase();
    const old = this.states.get(id);
    if (!old) return false;
    this.states.delete(id);
    const now = this.clock.now();
    this.bus.fire({
      eventType: 'state_changed',
      data: { entity_id: id, old_state: old, new_state: null },
      origin: 'LOCAL',
      timeFired: now,
      context: context ?? { id: ulidAt(now), parent_id: null, user_id: null },
    });
    return true;
  }

  /** Forgets every state without events, as a stopped HA does. Returns what was there. */
  clear(): StateRecord[] {
    const snapshot = this.all();
    this.states.clear();
    return snapshot;
  }
}
