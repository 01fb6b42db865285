import type { ExploreEntity } from '../api-types.js';
import type { FluxRow } from '@homeiq/shared';
import type { InfluxReader } from '../influx/flux.js';
import type { AreaInfo } from '../siblings/clients.js';
import { HA_ROW, ID_COLUMNS, isHaRow, rowEntityId } from './layouts.js';
import { summaryBucket } from './plan.js';
import { rfc3339ToMicros } from './time.js';

/** An entity as the buckets know it; names of areas and floors are added per request (they come from HA). */
export type StoredExploreEntity = Omit<ExploreEntity, 'areaName' | 'floorName'>;

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** The friendly name as each layout writes it. */
const NAME = { homeiq: 'attr_friendly_name_str', ha: 'friendly_name_str' } as const;
/**
 * Flux: the fields the catalog reads, in either layout (layouts.ts). HomeIQ's has a `state` for every point; HA's
 * writes a number as `value` only, so its `value` is read too (HomeIQ's `value` is not needed and left out).
 */
const FIELDS = `r._field == "state" or r._field == "${NAME.homeiq}" or ((r._field == "value" or r._field == "${NAME.ha}") and ${HA_ROW})`;
const STORED = `r._field == "state" or (r._field == "value" and ${HA_ROW})`;

/**
 * Every entity with a `state` (or in HA's layout a `value`) in the raw bucket, however old: its newest point's
 * tags and name, and the time of its oldest point in any bucket (the range "all" starts there). `first()` and
 * `last()` straight after a filter are answered from the storage engine's index of each series, so this stays
 * fast on years of data.
 */
export async function exploreCatalog(influx: InfluxReader): Promise<StoredExploreEntity[]> {
  const g = await influx.grant();
  const params: Record<string, string> = { raw: g.buckets.raw };
  const firsts = [`from(bucket: params.raw) |> range(start: 0) |> filter(fn: (r) => ${STORED})`];
  for (const s of ['5m', '1h'] as const) {
    const b = summaryBucket(g.buckets.downsampled, s);
    if (!b) continue;
    params[`b${s}`] = b;
    firsts.push(`from(bucket: params.b${s}) |> range(start: 0) |> filter(fn: (r) => r._field == "count")`);
  }
  const rows = await influx.query(
    `from(bucket: params.raw)
  |> range(start: 0)
  |> filter(fn: (r) => ${FIELDS})
  |> last()
  |> keep(columns: ["_time", "_value", "_field", "_measurement", ${ID_COLUMNS}, "area", "floor", "labels", "device_class", "unit"])
  |> yield(name: "last")
${firsts.map((f, i) => `${f} |> first() |> keep(columns: ["_time", ${ID_COLUMNS}]) |> yield(name: "first${i}")`).join('\n')}`,
    params,
    { timeoutMs: 30_000 },
  );
  return buildCatalog(rows);
}

interface Entry {
  e: StoredExploreEntity;
  /** Times (µs) of the newest point, state, number (HA's layout) and name seen. */
  at: number;
  stateAt: number;
  valueAt: number;
  nameAt: number;
  state: string;
  value: string;
}

/** Pure: rows of the query above, in either layout → one entity each, sorted by id. */
export function buildCatalog(rows: FluxRow[]): StoredExploreEntity[] {
  const byId = new Map<string, Entry>();
  const entry = (id: string): Entry => {
    let x = byId.get(id);
    if (!x) {
      x = {
        e: {
          entityId: id,
          name: undefined,
          domain: id.slice(0, id.indexOf('.')),
          area: undefined,
          floor: undefined,
          labels: [],
          deviceClass: undefined,
          unit: undefined,
          kind: 'state',
          first: 0,
          last: 0,
        },
        at: -1,
        stateAt: -1,
        valueAt: -1,
        nameAt: -1,
        state: '',
        value: '',
      };
      byId.set(id, x);
    }
    return x;
  };
  const firsts = new Map<string, number>();
  for (const r of rows) {
    const id = rowEntityId(r);
    const at = rfc3339ToMicros(r['_time'] ?? '');
    if (id === undefined || !Number.isFinite(at)) continue;
    if (r['result']?.startsWith('first')) {
      firsts.set(id, Math.min(firsts.get(id) ?? Number.POSITIVE_INFINITY, at / 1000));
      continue;
    }
    const ha = isHaRow(r);
    const field = r['_field'];
    const x = entry(id);
    if (field === (ha ? NAME.ha : NAME.homeiq)) {
      if (at > x.nameAt) {
        x.nameAt = at;
        x.e.name = r['_value'] || undefined;
      }
      continue;
    }
    if (field === 'state' && at > x.stateAt) {
      x.stateAt = at;
      x.state = r['_value'] ?? '';
    } else if (field === 'value' && ha && at > x.valueAt) {
      x.valueAt = at;
      x.value = r['_value'] ?? '';
    } else continue;
    if (at <= x.at) continue;
    // An entity whose tags changed (moved to another area, another unit) has one series per tag set: the newest wins.
    x.at = at;
    x.e.last = Math.floor(at / 1000);
    if (ha) {
      // HA's layout: the measurement is the unit, or the entity id when there is none; no registry tags.
      x.e.unit = r['_measurement'] && r['_measurement'] !== id ? r['_measurement'] : undefined;
      x.e.area = x.e.floor = x.e.deviceClass = undefined;
      x.e.labels = [];
      continue;
    }
    x.e.area = r['area'] || undefined;
    x.e.floor = r['floor'] || undefined;
    x.e.labels = r['labels'] ? r['labels'].split(',') : [];
    x.e.deviceClass = r['device_class'] || undefined;
    x.e.unit = r['unit'] || undefined;
  }
  const out: StoredExploreEntity[] = [];
  for (const x of byId.values()) {
    // Listed only with a point in the raw bucket: summaries alone carry no state to show.
    if (x.at < 0) continue;
    x.e.first = Math.floor(Math.min(firsts.get(x.e.entityId) ?? x.e.last, x.e.last));
    // The newest point's state: HA's layout writes a number as `value` alone, on/off as `state` and `value`.
    const shown = x.stateAt >= x.valueAt ? x.state : x.value;
    x.e.kind = x.e.unit !== undefined || NUMBER.test(shown) ? 'number' : 'state';
    out.push(x.e);
  }
  return out.sort((a, b) => a.entityId.localeCompare(b.entityId));
}

/** Pure: the catalog with the names of areas and floors (ids when HA's names are unavailable). */
export function withPlaceNames(
  entities: readonly StoredExploreEntity[],
  areas: ReadonlyMap<string, AreaInfo> | undefined,
): ExploreEntity[] {
  const floors = new Map<string, string>();
  for (const a of areas?.values() ?? []) if (a.floor) floors.set(a.floor.id, a.floor.name);
  return entities.map((e) => ({
    ...e,
    areaName: e.area === undefined ? undefined : (areas?.get(e.area)?.name ?? e.area),
    floorName: e.floor === undefined ? undefined : (floors.get(e.floor) ?? e.floor),
  }));
}
