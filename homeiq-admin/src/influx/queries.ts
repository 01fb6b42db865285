import type { EntityRow, MeasurementRow, RangeName, Series } from '../api-types.js';
import { FLUX_EXACT_IMPORT, type FluxRow, fluxExact } from '@homeiq/shared';
import type { InfluxReader } from './flux.js';
import { byCodeUnits } from '../util/compare.js';

/**
 * The panel's Flux. Every value that comes from a request (entity id, bucket, times) is a `params.*` reference
 * filled through `extern` (see flux.ts), never text spliced into the query.
 */

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export const ENTITY_WINDOW = { label: '24 hours', ms: DAY };
export const TOP_WINDOW = { label: '24 hours', ms: DAY };

const iso = (ms: number): string => new Date(ms).toISOString();

/** An entity row as InfluxDB knows it: the points carry the area id only (the name comes from the ingestor). */
export type StoredEntityRow = Omit<EntityRow, 'areaName'>;

/**
 * Every entity with a state change in the raw bucket over the window: last state, its time, its area (the
 * ingestor's `area` tag), and the count. The last value is taken per entity *and area*, and the newest of those
 * wins: an entity moved to another area within the window shows the area it is in now.
 */
export async function entityRows(influx: InfluxReader, now = Date.now()): Promise<StoredEntityRow[]> {
  const g = await influx.grant();
  const rows = await influx.query(
    `${FLUX_EXACT_IMPORT}
data = from(bucket: params.bucket)
  |> range(start: time(v: params.start))
  |> filter(fn: (r) => r._field == "state")
data |> group(columns: ["entity_id", "_measurement"]) |> count() |> keep(columns: ["entity_id", "_measurement", "_value"]) |> yield(name: "counts")
data |> group(columns: ["entity_id", "_measurement", "area"]) |> last() |> keep(columns: ["entity_id", "_measurement", "_value", "_time", "unit", "area"]) ${fluxExact('_value')} |> yield(name: "lasts")`,
    { bucket: g.buckets.raw, start: iso(now - ENTITY_WINDOW.ms) },
    { exact: ['_value'] },
  );
  const byId = new Map<string, StoredEntityRow>();
  const row = (r: FluxRow): StoredEntityRow => {
    const id = r['entity_id'] ?? '';
    let e = byId.get(id);
    if (!e) {
      e = {
        entityId: id,
        domain: r['_measurement'] ?? '',
        lastState: '',
        lastChange: '',
        events: 0,
        unit: undefined,
        area: undefined,
      };
      byId.set(id, e);
    }
    return e;
  };
  for (const r of rows) {
    if (!r['entity_id']) continue;
    const e = row(r);
    if (r['result'] === 'counts') e.events += Number(r['_value'] ?? 0);
    else if (r['result'] === 'lasts' && (r['_time'] ?? '') >= e.lastChange) {
      e.lastState = r['_value'] ?? '';
      e.lastChange = r['_time'] ?? '';
      e.unit = r['unit'] || undefined;
      e.area = r['area'] || undefined;
    }
  }
  return [...byId.values()].sort((a, b) => byCodeUnits(a.entityId, b.entityId));
}

/** State changes stored in the raw bucket over the last hour. */
export async function pointsLastHour(influx: InfluxReader, now = Date.now()): Promise<number> {
  const g = await influx.grant();
  const rows = await influx.query(
    `from(bucket: params.bucket)
  |> range(start: time(v: params.start))
  |> filter(fn: (r) => r._field == "state")
  |> group()
  |> count()`,
    { bucket: g.buckets.raw, start: iso(now - HOUR) },
  );
  return rows.reduce((n, r) => n + Number(r['_value'] ?? 0), 0);
}

/** Series (measurement + tags + field) written over the window, by measurement, largest first. */
export async function topMeasurements(influx: InfluxReader, now = Date.now(), limit = 15): Promise<MeasurementRow[]> {
  const g = await influx.grant();
  const rows = await influx.query(
    `from(bucket: params.bucket)
  |> range(start: time(v: params.start))
  |> last()
  |> drop(columns: ["_value"])
  |> group(columns: ["_measurement"])
  |> count(column: "_field")`,
    { bucket: g.buckets.raw, start: iso(now - TOP_WINDOW.ms) },
  );
  return rows
    .map((r) => ({ measurement: r['_measurement'] ?? '', series: Number(r['_field'] ?? 0) }))
    .sort((a, b) => b.series - a.series || byCodeUnits(a.measurement, b.measurement))
    .slice(0, limit);
}

interface RangePlan {
  ms: number;
  /** Which data answers: raw points, or one of the downsampled buckets (index into `downsampled`, 5m then 1h). */
  source: 'raw' | '5m' | '1h';
  /** aggregateWindow on the way out, to keep the chart near a thousand points. */
  every: string | undefined;
}

/** The range → data plan: raw for a day or less, 5-minute summaries for a week, hourly beyond. */
export const RANGE_PLANS: Record<RangeName, RangePlan> = {
  '1h': { ms: HOUR, source: 'raw', every: undefined },
  '6h': { ms: 6 * HOUR, source: 'raw', every: '30s' },
  '24h': { ms: DAY, source: 'raw', every: '2m' },
  '7d': { ms: 7 * DAY, source: '5m', every: undefined },
  '30d': { ms: 30 * DAY, source: '1h', every: undefined },
  '1y': { ms: 365 * DAY, source: '1h', every: '6h' },
};

function downsampledBucket(names: string[], suffix: '5m' | '1h'): string | undefined {
  return names.find((n) => n.endsWith(`_${suffix}`));
}

async function numeric(
  influx: InfluxReader,
  bucket: string,
  field: string,
  entity: string,
  start: number,
  every: string | undefined,
): Promise<FluxRow[]> {
  return influx.query(
    `from(bucket: params.bucket)
  |> range(start: time(v: params.start))
  |> filter(fn: (r) => r.entity_id == params.entity and r._field == params.field)
  ${every ? '|> aggregateWindow(every: duration(v: params.every), fn: mean, createEmpty: false)' : ''}
  |> keep(columns: ["_time", "_value", "unit"])`,
    { bucket, field, entity, start: iso(start), ...(every ? { every } : {}) },
  );
}

/** The entity's values over the range, from the bucket the range needs (see RANGE_PLANS). */
export async function entitySeries(
  influx: InfluxReader,
  entityId: string,
  range: RangeName,
  now = Date.now(),
): Promise<Series> {
  const g = await influx.grant();
  const plan = RANGE_PLANS[range];
  const start = now - plan.ms;
  let bucket = g.buckets.raw;
  let field = 'value';
  let every = plan.every;
  let note: string | undefined;
  let rows: FluxRow[] = [];
  if (plan.source !== 'raw') {
    const ds = downsampledBucket(g.buckets.downsampled, plan.source);
    if (ds) {
      rows = await numeric(influx, ds, 'mean', entityId, start, every);
      bucket = ds;
      field = 'mean';
    }
    if (rows.length === 0) {
      // A new installation: the tasks fill the summaries every 5 minutes / hour; until then, summarise raw data.
      note = `${ds ?? `the ${plan.source} bucket`} has no data for this range yet; these are raw values averaged per ${plan.source}`;
      bucket = g.buckets.raw;
      field = 'value';
      every = plan.source;
    }
  }
  if (bucket === g.buckets.raw) rows = await numeric(influx, bucket, 'value', entityId, start, every);
  rows.sort((a, b) => byCodeUnits(a['_time'] ?? '', b['_time'] ?? ''));
  const times: number[] = [];
  const values: Array<number | null> = [];
  for (const r of rows) {
    const t = Date.parse(r['_time'] ?? '');
    const v = Number(r['_value']);
    if (!Number.isFinite(t)) continue;
    times.push(t / 1000);
    values.push(Number.isFinite(v) ? v : null);
  }
  let states: Series['states'] = [];
  if (times.length === 0) {
    const text = await influx.query(
      `${FLUX_EXACT_IMPORT}
from(bucket: params.bucket)
  |> range(start: time(v: params.start))
  |> filter(fn: (r) => r.entity_id == params.entity and r._field == "state")
  |> keep(columns: ["_time", "_value"])
  |> group()
  |> sort(columns: ["_time"], desc: true)
  |> limit(n: 200)
  ${fluxExact('_value')}`,
      { bucket: g.buckets.raw, entity: entityId, start: iso(start) },
      { exact: ['_value'] },
    );
    states = text.map((r) => ({ time: r['_time'] ?? '', state: r['_value'] ?? '' }));
  }
  const aggregate = every ? `mean per ${every}` : undefined;
  return {
    entityId,
    range,
    source: { bucket, field, aggregate, note },
    times,
    values,
    states,
    unit: rows.find((r) => r['unit'])?.['unit'],
  };
}
