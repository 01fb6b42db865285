import type { HaState } from './messages.js';

/**
 * Home Assistant's history API (`history/history_during_period`) and its compressed reply format
 * (docs/HOME-ASSISTANT.md): `{ <entity_id>: [ { s, a?, lu, lc? }, … ] }`, times in float epoch seconds;
 * `lu` is always there, `lc` only when it differs from `lu`.
 */
export interface CompressedHistoryState {
  s: string;
  a?: Record<string, unknown>;
  lu: number;
  lc?: number;
}

export type HistoryReply = Record<string, CompressedHistoryState[]>;

/** Microseconds since the epoch (exact in a double until the year 2255). */
export type Micros = number;

/** Python's round(): halfway cases go to the even neighbour (Math.round would go up). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/**
 * Float epoch seconds → microseconds, exactly as HA's live timestamps get theirs: HA stamps a state with
 * `datetime.fromtimestamp(time.time(), UTC)`, and a recorder that keeps the raw float returns it as `lu` (2024.3
 * still stored the stamp's own whole-microsecond `.timestamp()`, which any rounding reads back). Any other
 * rounding (e.g. of `s * 1e6`) lands 1 µs off for about one raw float in eight, and the overlap a reconnect
 * re-reads would then be written a second time next to the live points. CPython's steps, in doubles: split into
 * whole seconds and fraction (exact), fraction × 1e6 (rounded once), round half to even, carry.
 */
export function secondsToMicros(s: number): Micros {
  let whole = Math.trunc(s);
  let micro = roundHalfEven((s - whole) * 1_000_000);
  if (micro >= 1_000_000) {
    micro -= 1_000_000;
    whole += 1;
  } else if (micro < 0) {
    micro += 1_000_000;
    whole -= 1;
  }
  return whole * 1_000_000 + micro;
}

/** `2026-09-01T10:01:00.123456+00:00`, the form HA itself prints (always six fraction digits here). */
export function microsToIso(us: Micros): string {
  const ms = Math.floor(us / 1000);
  const micro = ((us % 1_000_000) + 1_000_000) % 1_000_000;
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(micro).padStart(6, '0')}+00:00`;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/** HA's ISO timestamp → microseconds; undefined when it is not one. */
export function isoToMicros(iso: string): Micros | undefined {
  const m = ISO.exec(iso);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!Number.isFinite(ms)) return undefined;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return ms * 1000 + Number(frac.slice(0, 6).padEnd(6, '0'));
}

/** One compressed history row → a state like get_states returns (no context). Undefined for a malformed row. */
export function historyRowToState(entityId: string, row: unknown): HaState | undefined {
  if (row === null || typeof row !== 'object') return undefined;
  const r = row as Partial<CompressedHistoryState>;
  if (typeof r.s !== 'string' || typeof r.lu !== 'number' || !Number.isFinite(r.lu)) return undefined;
  const attributes = r.a !== null && typeof r.a === 'object' && !Array.isArray(r.a) ? r.a : {};
  const lu = microsToIso(secondsToMicros(r.lu));
  const lc = typeof r.lc === 'number' && Number.isFinite(r.lc) ? microsToIso(secondsToMicros(r.lc)) : lu;
  return { entity_id: entityId, state: r.s, attributes, last_updated: lu, last_changed: lc };
}

/**
 * The `history/history_during_period` command for a backfill: every change (not only significant ones), with
 * attributes and full rows, and no synthetic row at the start time (it would be a point HA never had).
 * HA's bounds are exclusive on both sides (`last_updated > start` and `< end`); `endUs` undefined = up to now.
 */
export function historyCommand(
  entityIds: readonly string[],
  startUs: Micros,
  endUs: Micros | undefined,
): Record<string, unknown> {
  return {
    type: 'history/history_during_period',
    start_time: microsToIso(startUs),
    ...(endUs === undefined ? {} : { end_time: microsToIso(endUs) }),
    entity_ids: [...entityIds],
    include_start_time_state: false,
    significant_changes_only: false,
    minimal_response: false,
    no_attributes: false,
  };
}
