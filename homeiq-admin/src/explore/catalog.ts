import { ENTITY_ID, type ExploreEntity } from '../api-types.js';
import type { FluxRow } from '@homeiq/shared';
import type { InfluxReader } from '../influx/flux.js';
import type { AreaInfo } from '../siblings/clients.js';
import { summaryBucket } from './plan.js';
import { rfc3339ToMicros } from './time.js';

/** An entity as the buckets know it; names of areas and floors are added per request (they come from HA). */
export type StoredExploreEntity = Omit<ExploreEntity, 'areaName' | 'floorName'>;

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const NAME_FIELD = 'attr_friendly_name_str';

/**
 * Every entity with a `state` in the raw bucket, however old: its newest point's tags and name, and the time of
 * its oldest point in any bucket (the range "all" starts there). `first()` and `last()` straight after a filter
 * are answered from the storage engine's index of each series, so this stays fast on years of data.
 */
export async function exploreCatalog(influx: InfluxReader): Promise<StoredExploreEntity[]> {
  const g = await influx.grant();
  const params: Record<string, string> = { raw: g.buckets.raw };
  const firsts = [`from(bucket: params.raw) |> range(start: 0) |> filter(fn: (r) => r._field == "state")`];
  for (const s of ['5m', '1h'] as const) {
    const b = summaryBucket(g.buckets.downsampled, s);
    if (!b) continue;
    params[`b${s}`] = b;
    firsts.push(`from(bucket: params.b${s}) |> range(start: 0) |> filter(fn: (r) => r._field == "count")`);
  }
  const rows = await influx.query(
    `from(bucket: params.raw)
  |> range(start: 0)
  |> filter(fn: (r) => r._field == "state" or r._field == "${NAME_FIELD}")
  |> last()
  |> keep(columns: ["_time", "_value", "_field", "_measurement", "entity_id", "area", "floor", "labels", "device_class", "unit"])
  |> yield(name: "last")
${firsts.map((f, i) => `${f} |> first() |> keep(columns: ["_time", "entity_id"]) |> yield(name: "first${i}")`).join('\n')}`,
    params,
    { timeoutMs: 30_000 },
  );
  return buildCatalog(rows);
}

/** Pure: rows of the query above → one entity each, sorted by id. */
export function buildCatalog(rows: FluxRow[]): StoredExploreEntity[] {
  const byId = new Map<string, { e: StoredExploreEntity; stateAt: number; nameAt: number; state: string }>();
  const entry = (id: string): { e: StoredExploreEntity; stateAt: number; nameAt: number; state: string } => {
    let x = byId.get(id);
    if (!x) {
      x = {
        e: {
          entityId: id,
          name: undefined,
          domain: id.split('.')[0] ?? '',
          area: undefined,
          floor: undefined,
          labels: [],
          deviceClass: undefined,
          unit: undefined,
          kind: 'state',
          first: 0,
          last: 0,
        },
        stateAt: -1,
        nameAt: -1,
        state: '',
      };
      byId.set(id, x);
    }
    return x;
  };
  const firsts = new Map<string, number>();
  for (const r of rows) {
    const id = r['entity_id'];
    const at = rfc3339ToMicros(r['_time'] ?? '');
    // HomeIQ's layout carries whole entity ids; the ha_compatible layout's lack the domain and are left out.
    if (!id || !ENTITY_ID.test(id) || !Number.isFinite(at)) continue;
    if (r['result']?.startsWith('first')) {
      firsts.set(id, Math.min(firsts.get(id) ?? Number.POSITIVE_INFINITY, at / 1000));
      continue;
    }
    const x = entry(id);
    if (r['_field'] === NAME_FIELD) {
      if (at > x.nameAt) {
        x.nameAt = at;
        x.e.name = r['_value'] || undefined;
      }
      continue;
    }
    if (at <= x.stateAt) continue;
    // An entity whose tags changed (moved to another area) has one series per tag set: the newest one wins.
    x.stateAt = at;
    x.state = r['_value'] ?? '';
    x.e.last = Math.floor(at / 1000);
    x.e.domain = r['_measurement'] || x.e.domain;
    x.e.area = r['area'] || undefined;
    x.e.floor = r['floor'] || undefined;
    x.e.labels = r['labels'] ? r['labels'].split(',') : [];
    x.e.deviceClass = r['device_class'] || undefined;
    x.e.unit = r['unit'] || undefined;
  }
  const out: StoredExploreEntity[] = [];
  for (const { e, stateAt, state } of byId.values()) {
    // Only entities with a state in the raw bucket are listed: summaries alone carry no state to show.
    if (stateAt < 0) continue;
    e.first = Math.floor(Math.min(firsts.get(e.entityId) ?? e.last, e.last));
    e.kind = e.unit !== undefined || NUMBER.test(state) ? 'number' : 'state';
    out.push(e);
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
