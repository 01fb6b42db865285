/**
 * HA's recorder as the history import and backfill tests see it: a scripted HA session whose `get_states` and
 * `history/history_during_period` answer from fixed rows (exclusive bounds, as HA's recorder), one change per entity
 * every 2 hours over the 5 days before `NOW`. Not a test file itself.
 */
import type { HaSession } from '../../homeiq-ingestor/src/ha/ha-session.js';
import { isoToMicros, microsToIso } from '../../homeiq-ingestor/src/ha/history.js';

export const H = 3_600_000_000;
export const DAY = 24 * H;
export const NOW = 1_795_000_000_000_000;

/** The recorder's rows by entity: state `s`, last_updated `lu` in seconds. */
const ROWS: Record<string, Array<{ s: string; lu: number }>> = {};
for (const id of ['sensor.a', 'sensor.b', 'sensor.c', 'light.d']) {
  ROWS[id] = [];
  for (let t = NOW - 5 * DAY + 1000; t < NOW; t += 2 * H) ROWS[id].push({ s: String(t % 97), lu: t / 1e6 });
}
/** Rows an import of `days` writes: those in range, but the newest (the get_states snapshot wrote it already). */
export const inDays = (id: string, days: number): number =>
  (ROWS[id] ?? []).slice(0, -1).filter((r) => r.lu * 1e6 > NOW - days * DAY - 1).length;

export interface Scripted {
  session: HaSession;
  asked: Array<Record<string, unknown>>;
  /** Most history commands in flight at once (one import at a time). */
  maxInFlight: number;
  close(): void;
}

/** A scripted HA session; every history command takes `delayMs`. */
export function scripted(connection: number, delayMs = 0): Scripted {
  let closed = false;
  let inFlight = 0;
  const s: Scripted = {
    asked: [],
    maxInFlight: 0,
    close: () => (closed = true),
    session: {
      connection,
      get closed() {
        return closed;
      },
      ended: new Promise(() => undefined),
      async command<T>(msg: Record<string, unknown>): Promise<T> {
        if (closed) throw new Error('Home Assistant connection closed');
        s.asked.push(msg);
        if (msg['type'] === 'get_states') {
          return Object.entries(ROWS).map(([id, r]) => ({
            entity_id: id,
            state: r.at(-1)?.s,
            attributes: {},
            last_updated: microsToIso(Math.round((r.at(-1)?.lu ?? 0) * 1e6)),
          })) as T;
        }
        if (msg['type'] !== 'history/history_during_period') return [] as T;
        inFlight += 1;
        s.maxInFlight = Math.max(s.maxInFlight, inFlight);
        try {
          if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
          if (closed) throw new Error('Home Assistant connection closed');
          const start = isoToMicros(msg['start_time'] as string) as number;
          const end = msg['end_time'] === undefined ? Infinity : (isoToMicros(msg['end_time'] as string) as number);
          const out: Record<string, unknown[]> = {};
          for (const id of msg['entity_ids'] as string[]) {
            const r = (ROWS[id] ?? []).filter((x) => Math.round(x.lu * 1e6) > start && Math.round(x.lu * 1e6) < end);
            if (r.length) out[id] = r;
          }
          return out as T;
        } finally {
          inFlight -= 1;
        }
      },
    },
  };
  return s;
}
export const historyAsked = (s: Scripted): Array<Record<string, unknown>> =>
  s.asked.filter((m) => m['type'] === 'history/history_during_period');
