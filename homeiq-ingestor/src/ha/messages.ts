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
 * Parses one WebSocket frame into messages. With `coalesce_messages` HA may send a JSON array of messages
 * in one frame. Returns undefined for a frame that is not JSON or not message-shaped.
 */
export function parseFrame(text: string): ServerMessage[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const out: ServerMessage[] = [];
  for (const m of list) {
    if (m === null || typeof m !== 'object' || typeof (m as { type?: unknown }).type !== 'string') return undefined;
    out.push(m as ServerMessage);
  }
  return out;
}
