// history/history_during_period and history/stream
// (homeassistant/components/history/websocket_api.py).

import type { BusEvent } from './bus';
import { parseIsoMicros, toSeconds, type Micros } from './clock';
import type { HistoryCompressed } from './compressed';
import type { Command, Conn } from './connection';
import { liveHistoryState, SIGNIFICANT_DOMAINS, type HistoryQuery } from './history';
import { bool, CommandError, listOf, str, type Fields } from './schema';
import { validEntityId, type StateRecord } from './states';

// history/const.py
const EVENT_COALESCE_TIME_MS = 350;
const MAX_PENDING_HISTORY_STATES = 2048;

const FIELDS: Fields = {
  start_time: { required: true, check: str },
  end_time: { check: str },
  entity_ids: { required: true, check: listOf(str) },
  include_start_time_state: { check: bool, default: true },
  significant_changes_only: { check: bool, default: true },
  minimal_response: { check: bool, default: false },
  no_attributes: { check: bool, default: false },
};

function parseTimes(msg: Record<string, unknown>): { start: Micros; end?: Micros } {
  const start = parseIsoMicros(msg['start_time'] as string);
  if (start === undefined) throw new CommandError('invalid_start_time', 'Invalid start_time');
  if (msg['end_time'] === undefined || msg['end_time'] === '') return { start };
  const end = parseIsoMicros(msg['end_time'] as string);
  if (end === undefined) throw new CommandError('invalid_end_time', 'Invalid end_time');
  return { start, end };
}

function checkEntityIds(conn: Conn, ids: string[]): void {
  for (const e of ids)
    if (!conn.core.states.get(e) && !validEntityId(e))
      throw new CommandError('invalid_entity_ids', 'Invalid entity_ids');
}

function toQuery(msg: Record<string, unknown>, start: Micros, end: Micros | undefined): HistoryQuery {
  return {
    start,
    end,
    entityIds: msg['entity_ids'] as string[],
    includeStartTimeState: msg['include_start_time_state'] as boolean,
    significantChangesOnly: msg['significant_changes_only'] as boolean,
    minimalResponse: msg['minimal_response'] as boolean,
    noAttributes: msg['no_attributes'] as boolean,
  };
}

/** `_generate_historical_response`: the event ends at the newest state sent, or at `end` when empty. */
function historicalEvent(conn: Conn, id: number, q: HistoryQuery, end: Micros): Micros | undefined {
  const states = conn.core.recorder.query({ ...q, end });
  let last = 0;
  for (const rows of Object.values(states)) last = Math.max(last, rows.at(-1)?.lu ?? 0);
  conn.sendEvent(id, { states, start_time: toSeconds(q.start), end_time: last ? last : toSeconds(end) });
  return last ? Math.round(last * 1_000_000) : undefined;
}

function startLiveStream(conn: Conn, id: number, q: HistoryQuery, end: Micros | undefined): void {
  const ids = new Set(q.entityIds.map((e) => e.toLowerCase()));
  let queue: BusEvent[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let endTimer: NodeJS.Timeout | undefined;
  let setupDone = 0;
  const flush = () => {
    flushTimer = undefined;
    const states: Record<string, HistoryCompressed[]> = {};
    for (const e of queue.splice(0)) {
      const s = e.data['new_state'] as StateRecord;
      states[s.entityId] ??= [];
      states[s.entityId]?.push(liveHistoryState(s, q.noAttributes));
    }
    if (Object.keys(states).length) conn.sendEvent(id, { states });
  };
  const unlisten = conn.core.bus.listen('state_changed', (event) => {
    const next = event.data['new_state'] as StateRecord | null;
    const prev = event.data['old_state'] as StateRecord | null;
    if (!next || !prev || !ids.has(next.entityId)) return;
    if (
      (q.significantChangesOnly || q.minimalResponse) &&
      next.state === prev.state &&
      !SIGNIFICANT_DOMAINS.has(next.domain)
    )
      return;
    if (event.timeFired <= setupDone) return;
    // A client that lets this many states pile up is unsubscribed without notice, like HA.
    if (queue.length >= MAX_PENDING_HISTORY_STATES) return stop();
    queue.push(event);
    flushTimer ??= setTimeout(flush, EVENT_COALESCE_TIME_MS);
  });
  function stop() {
    unlisten();
    clearTimeout(flushTimer);
    clearTimeout(endTimer);
    queue = [];
  }
  if (end !== undefined) endTimer = setTimeout(stop, Math.max(0, (end - conn.core.clock.now()) / 1000));
  setupDone = conn.core.clock.now();
  conn.subscriptions.set(id, stop);
  conn.sendResult(id);
  const last = historicalEvent(conn, id, q, setupDone);
  if (last === undefined) {
    // The catch-up query after the recorder commit finds nothing new, but HA still answers once.
    conn.sendEvent(id, { states: {}, start_time: toSeconds(q.start + 1), end_time: toSeconds(setupDone) });
  }
}

export const historyCommands: Record<string, Command> = {
  'history/history_during_period': {
    fields: FIELDS,
    handler: (conn, msg) => {
      const id = msg['id'] as number;
      const { start, end } = parseTimes(msg);
      if (start > conn.core.clock.now()) return conn.sendResult(id, {});
      checkEntityIds(conn, msg['entity_ids'] as string[]);
      if (end !== undefined && !conn.core.recorder.hasRowsBefore(end)) return conn.sendResult(id, {});
      conn.sendResult(id, conn.core.recorder.query(toQuery(msg, start, end)));
    },
  },

  'history/stream': {
    fields: FIELDS,
    handler: (conn, msg) => {
      const id = msg['id'] as number;
      const now = conn.core.clock.now();
      const { start, end } = parseTimes(msg);
      if (start > now) throw new CommandError('invalid_start_time', 'Invalid start_time');
      if (end !== undefined && end < start) throw new CommandError('invalid_end_time', 'Invalid end_time');
      checkEntityIds(conn, msg['entity_ids'] as string[]);
      const q = toQuery(msg, start, end);
      if (end !== undefined && end <= now) {
        conn.subscriptions.set(id, () => undefined);
        conn.sendResult(id);
        historicalEvent(conn, id, q, end);
        return;
      }
      startLiveStream(conn, id, q, end);
    },
  },
};
