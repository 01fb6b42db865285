import { EXPLORE_MAX_POINTS, type ExploreBand } from '../api-types.js';
import type { FluxRow } from '@homeiq/shared';
import type { FluxParam, InfluxReader } from '../influx/flux.js';
import { entityFilter, ID_COLUMNS, rowEntityId } from './layouts.js';
import { rfc3339ToMicros } from './time.js';

/**
 * The Flux behind an Explore chart. Entity ids, buckets, times and windows are `params.*` (values in the query's
 * syntax tree, see influx/flux.ts); the query text depends only on how many entities there are. Each query
 * filters then aggregates per series, the shape the storage engine answers itself (no `group()` before the
 * aggregate), and several series of one entity (its tags changed, or points in both layouts: layouts.ts) are
 * merged here.
 */

export interface ValueQuery {
  bucket: string;
  field: string;
  ids: readonly string[];
  startMs: number;
  endMs: number;
  /** The window (Flux duration); undefined: the stored points, at most EXPLORE_MAX_POINTS per series. */
  every: string | undefined;
  /**
   * Summaries are stamped with the end of the period they cover, so their windows are (start, end]: the query
   * range moves by 1 ns and the windows by 1 ns, and a summary lands in the window of the data it summarises.
   */
  summaries: boolean;
}

/**
 * The earliest time InfluxDB stores: where "the state before the range" is looked for. Not 0: a range that
 * starts at 1970 would ask for the empty range [0, 0), which Flux refuses, failing the whole chart.
 */
const EARLIEST = '1677-09-21T00:12:43.145224194Z';

/** Per entity: window end (or point time) in Unix µs → value. */
export type Values = Map<string, Map<number, number>>;

const iso = (ms: number): string => new Date(ms).toISOString();
/** One nanosecond after `ms`, in RFC 3339. */
const isoPlusNs = (ms: number): string => `${iso(ms).slice(0, -1)}000001Z`;

export async function readValues(
  influx: InfluxReader,
  q: ValueQuery,
): Promise<{ values: Values; capped: Set<string> }> {
  const { flux, params } = valueFlux(q);
  return valuesFromRows(await influx.query(flux, params, { timeoutMs: 60_000 }), q.every === undefined);
}

/** Pure: the query of `readValues`. */
export function valueFlux(q: ValueQuery): { flux: string; params: Record<string, FluxParam> } {
  const params: Record<string, FluxParam> = {
    bucket: q.bucket,
    field: q.field,
    start: q.summaries ? isoPlusNs(q.startMs) : iso(q.startMs),
    stop: q.summaries ? isoPlusNs(q.endMs) : iso(q.endMs),
  };
  const filter = entityFilter(q.ids, params);
  let shape: string;
  if (q.every) {
    params['every'] = q.every;
    shape = q.summaries
      ? '|> aggregateWindow(every: duration(v: params.every), offset: 1ns, fn: mean, createEmpty: false)'
      : '|> aggregateWindow(every: duration(v: params.every), fn: mean, createEmpty: false)';
  } else {
    params['cap'] = EXPLORE_MAX_POINTS + 1;
    shape = '|> limit(n: params.cap)';
  }
  const flux = `from(bucket: params.bucket)
  |> range(start: time(v: params.start), stop: time(v: params.stop))
  |> filter(fn: (r) => r._field == params.field and (${filter}))
  ${shape}
  |> keep(columns: ["_time", "_value", ${ID_COLUMNS}])`;
  return { flux, params };
}

/**
 * Pure: rows of `valueFlux` → values per whole entity id, the rows of one time averaged (an entity with several
 * series); `capped`: the stored points of an entity past EXPLORE_MAX_POINTS are cut.
 */
export function valuesFromRows(rows: readonly FluxRow[], capped: boolean): { values: Values; capped: Set<string> } {
  const sums = new Map<string, Map<number, [number, number]>>();
  for (const r of rows) {
    const id = rowEntityId(r);
    const t = rfc3339ToMicros(r['_time'] ?? '');
    const v = Number(r['_value']);
    if (id === undefined || !Number.isFinite(t) || !Number.isFinite(v) || r['_value'] === '') continue;
    let m = sums.get(id);
    if (!m) {
      m = new Map();
      sums.set(id, m);
    }
    const s = m.get(t);
    if (s) {
      s[0] += v;
      s[1] += 1;
    } else m.set(t, [v, 1]);
  }
  const values: Values = new Map();
  const cut = new Set<string>();
  for (const [id, m] of sums) {
    let times = [...m.keys()].sort((a, b) => a - b);
    if (capped && times.length > EXPLORE_MAX_POINTS) {
      cut.add(id);
      times = times.slice(0, EXPLORE_MAX_POINTS);
    }
    const out = new Map<number, number>();
    for (const t of times) {
      const [sum, n] = m.get(t) as [number, number];
      out.set(t, sum / n);
    }
    values.set(id, out);
  }
  return { values, capped: cut };
}

/**
 * Timeline bands: the `state` field of the raw bucket, as the last state of each window (or every change when
 * the window is under a second), with the state the entity was in when the range starts.
 */
export async function readStates(
  influx: InfluxReader,
  bucket: string,
  ids: readonly string[],
  startMs: number,
  endMs: number,
  every: string | undefined,
): Promise<ExploreBand[]> {
  const { flux, params } = stateFlux(bucket, ids, startMs, endMs, every);
  return bandsFromRows(await influx.query(flux, params, { timeoutMs: 60_000 }), ids, startMs, every === undefined);
}

/** Pure: the query of `readStates`. */
export function stateFlux(
  bucket: string,
  ids: readonly string[],
  startMs: number,
  endMs: number,
  every: string | undefined,
): { flux: string; params: Record<string, FluxParam> } {
  const params: Record<string, FluxParam> = { bucket, start: iso(startMs), stop: iso(endMs) };
  const filter = entityFilter(ids, params);
  let shape: string;
  if (every) {
    params['every'] = every;
    shape = '|> aggregateWindow(every: duration(v: params.every), fn: last, createEmpty: false)';
  } else {
    params['cap'] = EXPLORE_MAX_POINTS + 1;
    shape = '|> limit(n: params.cap)';
  }
  const flux = `data = from(bucket: params.bucket) |> range(start: time(v: params.start), stop: time(v: params.stop))
  |> filter(fn: (r) => r._field == "state" and (${filter}))
data ${shape} |> keep(columns: ["_time", "_value", ${ID_COLUMNS}]) |> yield(name: "states")
from(bucket: params.bucket)
  |> range(start: ${EARLIEST}, stop: time(v: params.start))
  |> filter(fn: (r) => r._field == "state" and (${filter}))
  |> last()
  |> keep(columns: ["_time", "_value", ${ID_COLUMNS}])
  |> yield(name: "before")`;
  return { flux, params };
}

/** Pure: rows of `stateFlux` → one band per entity asked for; `capped`: stored points past EXPLORE_MAX_POINTS are cut. */
export function bandsFromRows(
  rows: readonly FluxRow[],
  ids: readonly string[],
  startMs: number,
  capped: boolean,
): ExploreBand[] {
  const startUs = startMs * 1000;
  const byId = new Map<string, { before: [number, string] | undefined; points: Array<[number, string]> }>();
  for (const id of ids) byId.set(id, { before: undefined, points: [] });
  for (const r of rows) {
    const x = byId.get(rowEntityId(r) ?? '');
    const t = rfc3339ToMicros(r['_time'] ?? '');
    if (!x || !Number.isFinite(t)) continue;
    const state = r['_value'] ?? '';
    if (r['result'] === 'before') {
      // Several series (tags changed): the newest one holds the state at the start.
      if (!x.before || t > x.before[0]) x.before = [t, state];
    } else x.points.push([t, state]);
  }
  return ids.map((entityId) => {
    const x = byId.get(entityId) as { before: [number, string] | undefined; points: Array<[number, string]> };
    x.points.sort((a, b) => a[0] - b[0]);
    const truncated = capped && x.points.length > EXPLORE_MAX_POINTS;
    const times: number[] = [];
    const states: string[] = [];
    const push = (t: number, s: string): void => {
      if (states.at(-1) === s) return;
      times.push(t);
      states.push(s);
    };
    if (x.before) push(startUs, x.before[1]);
    for (const [t, s] of truncated ? x.points.slice(0, EXPLORE_MAX_POINTS) : x.points) push(t, s);
    return { entityId, times, states, truncated };
  });
}
