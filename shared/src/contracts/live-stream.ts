/**
 * One event on the ingestor's `GET /api/events/stream` (documented in docs/INGESTOR.md "Live event stream"), as the
 * panel's Live events view reads it. `state`/`old_state` are null when the entity was added/removed; strings are
 * capped at 256 characters.
 */
export interface StreamEvent {
  /** Increases by one per event received since the ingestor started (the SSE `id:`). */
  id: number;
  /** HA's `time_fired`. */
  time: string;
  type: string;
  entity_id?: string;
  state?: string | null;
  old_state?: string | null;
  unit?: string;
  name?: string;
}
