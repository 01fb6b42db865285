// The two compressed state formats HA speaks. They look alike but invert the
// timestamp rule, which is easy to get wrong:
//  - subscribe_entities (websocket_api/messages.py): `lc` always, `lu` only when it differs;
//  - history (recorder row_to_compressed_state): `lu` always, `lc` only when it differs.

import type { BusEvent } from './bus';
import { toSeconds } from './clock';
import { deepEqual, type StateRecord } from './states';
import type { Attributes } from './types';

export interface EntityCompressed {
  s: string;
  a: Attributes;
  c: string | Record<string, string | null>;
  lc: number;
  lu?: number;
}

export interface EntityDiff {
  '+': Partial<{ s: string; a: Attributes; c: string | Record<string, string | null>; lc: number; lu: number }>;
  '-'?: { a: string[] };
}

export type EntitiesEvent =
  | { a: Record<string, EntityCompressed> }
  | { r: string[] }
  | { c: Record<string, EntityDiff> };

/** `compressed_state_dict_add`: context as a bare id when it carries nothing else. */
export function compressedAdd(state: StateRecord): EntityCompressed {
  const ctx = state.context;
  const out: EntityCompressed = {
    s: state.state,
    a: state.attributes as Attributes,
    c: ctx.parent_id === null && ctx.user_id === null ? ctx.id : { ...ctx },
    lc: toSeconds(state.lastChanged),
  };
  if (state.lastChanged !== state.lastUpdated) out.lu = toSeconds(state.lastUpdated);
  return out;
}

/** `_state_diff`: `lc` when last_changed moved, else `lu` when last_updated moved. */
export function stateDiff(oldState: StateRecord, newState: StateRecord): EntityDiff {
  const add: EntityDiff['+'] = {};
  if (oldState.state !== newState.state) add.s = newState.state;
  if (oldState.lastChanged !== newState.lastChanged) add.lc = toSeconds(newState.lastChanged);
  else if (oldState.lastUpdated !== newState.lastUpdated) add.lu = toSeconds(newState.lastUpdated);
  const ctx: Record<string, string | null> = {};
  if (oldState.context.parent_id !== newState.context.parent_id) ctx['parent_id'] = newState.context.parent_id;
  if (oldState.context.user_id !== newState.context.user_id) ctx['user_id'] = newState.context.user_id;
  if (oldState.context.id !== newState.context.id) {
    if (Object.keys(ctx).length) ctx['id'] = newState.context.id;
    else add.c = newState.context.id;
  }
  if (Object.keys(ctx).length) add.c = ctx;
  const attrs: Attributes = {};
  for (const [key, value] of Object.entries(newState.attributes)) {
    if (!deepEqual(oldState.attributes[key], value) || !Object.hasOwn(oldState.attributes, key)) attrs[key] = value;
  }
  if (Object.keys(attrs).length) add.a = attrs;
  const diff: EntityDiff = { '+': add };
  const removed = Object.keys(oldState.attributes).filter((k) => !Object.hasOwn(newState.attributes, k));
  if (removed.length) diff['-'] = { a: removed };
  return diff;
}

/** `_state_diff_event` for one state_changed event. */
export function entitiesEvent(event: BusEvent): EntitiesEvent {
  const entityId = event.data['entity_id'] as string;
  const oldState = event.data['old_state'] as StateRecord | null;
  const newState = event.data['new_state'] as StateRecord | null;
  if (!newState) return { r: [entityId] };
  if (!oldState) return { a: { [newState.entityId]: compressedAdd(newState) } };
  return { c: { [newState.entityId]: stateDiff(oldState, newState) } };
}

export interface HistoryCompressed {
  s: string;
  a?: Attributes;
  lu: number;
  lc?: number;
}
