import { parseJson } from '@homeiq/shared';

/** The Home Assistant WebSocket messages we read; anything else is "unknown" and counted, not fatal. */
export interface HaEvent {
  event_type: string;
  data: Record<string, unknown>;
  origin?: string;
  time_fired: string;
  context?: { id: string; parent_id: string | null; user_id: string | null };
}

/** A state as HA sends it (get_states, state_changed) and as the history replay rebuilds it. */
export interface HaState {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
  last_updated: string;
  last_changed?: string;
}

export type ServerMessage =
  | { type: 'auth_required'; ha_version?: string }
  | { type: 'auth_ok'; ha_version?: string }
  | { type: 'auth_invalid'; message?: string }
  | { type: 'result'; id: number; success: boolean; result?: unknown; error?: { code: string; message: string } }
  | { type: 'event'; id: number; event: HaEvent }
  | { type: 'pong'; id: number };

/**
 * Why a message was left out: the type whose shape it does not have (`event`, `result`, …), or `no_type` for an
 * element of a frame that is not an object with a string `type`.
 */
export type InvalidKind = 'auth' | 'event' | 'result' | 'pong' | 'no_type';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';
const optNullString = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';
const isId = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);

/** HA's event: what the counter, the live stream and the encoders rely on (a state's own shape is checked there). */
function isEvent(e: unknown): e is HaEvent {
  if (!isObj(e)) return false;
  if (typeof e['event_type'] !== 'string' || typeof e['time_fired'] !== 'string' || !isObj(e['data'])) return false;
  if (!optString(e['origin'])) return false;
  const c = e['context'];
  if (c === undefined || c === null) return true;
  return isObj(c) && optString(c['id']) && optNullString(c['parent_id']) && optNullString(c['user_id']);
}

/** The shape check of one message, by type (a hand-written guard: this runs for every message on the hot path). */
function invalidKind(m: Obj): InvalidKind | undefined {
  switch (m['type']) {
    case 'event':
      return isId(m['id']) && isEvent(m['event']) ? undefined : 'event';
    case 'result': {
      const err = m['error'];
      const errOk =
        err === undefined || err === null || (isObj(err) && optString(err['code']) && optString(err['message']));
      return isId(m['id']) && typeof m['success'] === 'boolean' && errOk ? undefined : 'result';
    }
    case 'pong':
      return isId(m['id']) ? undefined : 'pong';
    case 'auth_required':
    case 'auth_ok':
      return optString(m['ha_version']) ? undefined : 'auth';
    case 'auth_invalid':
      return optString(m['message']) ? undefined : 'auth';
    default:
      return typeof m['type'] === 'string' ? undefined : 'no_type';
  }
}

/**
 * Reads one WebSocket frame (with `coalesce_messages` HA may send a JSON array of messages in one frame) and checks
 * every message's shape (a message of a type not listed above passes, for the caller to count as unknown).
 * Returns undefined for a frame that is not JSON, or neither a message nor an array; a
 * message without the shape of its type is left out and reported through `onInvalid`, the others are kept.
 * Never throws. The JSON is read by the shared reader (exact keys whatever the runtime's JSON.parse does).
 */
export function parseFrame(text: string, onInvalid?: (kind: InvalidKind) => void): ServerMessage[] | undefined {
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) {
    if (!isObj(parsed)) return undefined;
    const bad = invalidKind(parsed);
    if (bad === undefined) return [parsed as ServerMessage];
    onInvalid?.(bad);
    return [];
  }
  const out: ServerMessage[] = [];
  for (const m of parsed as unknown[]) {
    const bad = isObj(m) ? invalidKind(m) : 'no_type';
    if (bad === undefined) out.push(m as ServerMessage);
    else onInvalid?.(bad);
  }
  return out;
}
