// An in-memory recorder and the query behind history/history_during_period,
// following recorder/history/modern.py (get_significant_states_with_session
// and _sorted_states_to_dict) with compressed_state_format=True.

import type { BusEvent, EventBus } from './bus';
import { toSeconds, type Micros } from './clock';
import type { HistoryCompressed } from './compressed';
import { domainOf, type StateRecord } from './states';
import type { Attributes } from './types';

// recorder/history/const.py
export const SIGNIFICANT_DOMAINS = new Set(['climate', 'device_tracker', 'humidifier', 'thermostat', 'water_heater']);
export const NEED_ATTRIBUTE_DOMAINS = new Set([
  'climate',
  'humidifier',
  'input_datetime',
  'thermostat',
  'water_heater',
]);

interface Row {
  entityId: string;
  state: string;
  attributes: Attributes;
  /** null when equal to lastUpdated: the recorder stores it that way. */
  lastChanged: Micros | null;
  lastUpdated: Micros;
}

export interface HistoryQuery {
  start: Micros;
  end?: Micros;
  entityIds: string[];
  includeStartTimeState: boolean;
  significantChangesOnly: boolean;
  minimalResponse: boolean;
  noAttributes: boolean;
}

export class Recorder {
  private rows: Row[] = [];
  /** Start of each recorder run; a restart opens a new run. The first run reaches back forever. */
  private readonly runStarts: Micros[] = [Number.NEGATIVE_INFINITY];
  private readonly unlisten: () => void;

  constructor(
    bus: EventBus,
    private readonly maxRows: number,
  ) {
    this.unlisten = bus.listen('state_changed', (e) => this.record(e));
  }

  stop(): void {
    this.unlisten();
  }

  newRun(at: Micros): void {
    this.runStarts.push(at);
  }

  size(): number {
    return this.rows.length;
  }

  hasRowsBefore(t: Micros): boolean {
    return this.rows.some((r) => r.lastUpdated < t);
  }

  private record(event: BusEvent): void {
    const next = event.data['new_state'] as StateRecord | null;
    if (next) {
      this.rows.push({
        entityId: next.entityId,
        state: next.state,
        attributes: next.attributes as Attributes,
        lastChanged: next.lastChanged === next.lastUpdated ? null : next.lastChanged,
        lastUpdated: next.lastUpdated,
      });
    } else {
      // A removal is stored as an empty state with no attributes (States.from_event).
      this.rows.push({
        entityId: event.data['entity_id'] as string,
        state: '',
        attributes: {},
        lastChanged: null,
        lastUpdated: event.timeFired,
      });
    }
    if (this.rows.length > this.maxRows) {
      // Drop in chunks so trimming stays amortised O(1) per row.
      this.rows = this.rows.slice(this.rows.length - Math.floor(this.maxRows * 0.9));
    }
  }

  private runStartFor(t: Micros): Micros | undefined {
    let found: Micros | undefined;
    for (const s of this.runStarts) if (s < t) found = s;
    return found;
  }

  query(q: HistoryQuery): Record<string, HistoryCompressed[]> {
    const wanted = [...new Set(q.entityIds.map((e) => e.toLowerCase()))];
    const byEntity = new Map<string, Row[]>(wanted.map((e) => [e, []]));
    for (const row of this.rows) byEntity.get(row.entityId)?.push(row);
    const present = wanted.filter((e) => (byEntity.get(e)?.length ?? 0) > 0);
    const runStart = q.includeStartTimeState ? this.runStartFor(q.start) : undefined;
    const result: Record<string, HistoryCompressed[]> = {};

    for (const entityId of present) {
      const rows = (byEntity.get(entityId) ?? []).sort((a, b) => a.lastUpdated - b.lastUpdated);
      const domain = domainOf(entityId);
      const picked: Array<{ row: Row; isStart: boolean }> = [];
      if (runStart !== undefined) {
        // One entity: any earlier row. Several: only rows of the run the start falls in.
        const floor = present.length === 1 ? Number.NEGATIVE_INFINITY : runStart;
        const before = rows.filter((r) => r.lastUpdated < q.start && r.lastUpdated >= floor).at(-1);
        if (before) picked.push({ row: before, isStart: true });
      }
      for (const row of rows) {
        if (row.lastUpdated <= q.start) continue;
        if (q.end !== undefined && row.lastUpdated >= q.end) continue;
        if (q.significantChangesOnly && !SIGNIFICANT_DOMAINS.has(domain) && row.lastChanged !== null) continue;
        picked.push({ row, isStart: false });
      }
      const out = this.format(picked, q, domain);
      if (out.length) result[entityId] = out;
    }
    return result;
  }

  private format(picked: Array<{ row: Row; isStart: boolean }>, q: HistoryQuery, domain: string): HistoryCompressed[] {
    const full = (p: { row: Row; isStart: boolean }, dropAttributes: boolean): HistoryCompressed => {
      // Without attributes the query selects none, so rows decode to {}.
      const out: HistoryCompressed = {
        s: p.row.state,
        ...(dropAttributes ? {} : { a: q.noAttributes ? {} : p.row.attributes }),
        lu: toSeconds(p.isStart ? q.start : p.row.lastUpdated),
      };
      // last_changed is only selected when significant_changes_only is off; start rows carry 0.
      if (!q.significantChangesOnly && !p.isStart && p.row.lastChanged !== null) out.lc = toSeconds(p.row.lastChanged);
      return out;
    };
    if (!q.minimalResponse || NEED_ATTRIBUTE_DOMAINS.has(domain)) return picked.map((p) => full(p, false));
    const [first, ...rest] = picked;
    if (!first) return [];
    const out: HistoryCompressed[] = [full(first, q.noAttributes)];
    let prev = first.row.state;
    for (const p of rest) {
      if (p.row.state === prev) continue;
      prev = p.row.state;
      out.push({ s: p.row.state, lu: toSeconds(p.row.lastUpdated) });
    }
    return out;
  }
}

/** `_history_compressed_state`, used for live history/stream updates. */
export function liveHistoryState(state: StateRecord, noAttributes: boolean): HistoryCompressed {
  const keepAttributes = !noAttributes || NEED_ATTRIBUTE_DOMAINS.has(state.domain);
  const out: HistoryCompressed = {
    s: state.state,
    ...(keepAttributes ? { a: state.attributes as Attributes } : {}),
    lu: toSeconds(state.lastUpdated),
  };
  if (state.lastChanged !== state.lastUpdated) out.lc = toSeconds(state.lastChanged);
  return out;
}
