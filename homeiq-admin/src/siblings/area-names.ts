import type { EntityRow, Problem } from '../api-types.js';
import type { StoredEntityRow } from '../influx/queries.js';
import { Cached, type Outcome } from '../util/cache.js';
import type { AreaInfo } from './clients.js';

/** Areas are renamed rarely; a minute keeps the ingestor out of most Entities requests (the view polls every 30 s). */
export const AREA_NAMES_TTL_MS = 60_000;
/** After a failure (ingestor down, or still reading HA's registries) ask again sooner, so names return quickly. */
const FAILURE_TTL_MS = 5000;

/**
 * The names of HA's areas, from the ingestor, cached: one map of at most what the ingestor may send (its answer
 * is bounded in clients.ts), replaced on every read.
 */
export class AreaNames {
  readonly #cache: Cached<{ names: ReadonlyMap<string, string>; areas: ReadonlyMap<string, AreaInfo> }>;

  constructor(read: () => Promise<AreaInfo[]>, ttlMs = AREA_NAMES_TTL_MS, now: () => number = Date.now) {
    this.#cache = new Cached(
      async () => {
        const areas = await read();
        return { names: new Map(areas.map((a) => [a.id, a.name])), areas: new Map(areas.map((a) => [a.id, a])) };
      },
      ttlMs,
      Math.min(ttlMs, FAILURE_TTL_MS),
      now,
    );
  }

  /** Area id → name. */
  async get(): Promise<Outcome<ReadonlyMap<string, string>>> {
    const o = await this.#cache.get();
    return o.ok ? { ok: true, value: o.value.names } : o;
  }

  /** Area id → the area with its floor (Explore searches floors by name too). */
  async areas(): Promise<Outcome<ReadonlyMap<string, AreaInfo>>> {
    const o = await this.#cache.get();
    return o.ok ? { ok: true, value: o.value.areas } : o;
  }
}

/**
 * Pure: the rows with `areaName`, the area's name or (unknown area, names unavailable) its id, so the view always
 * has something to show. The problem is reported only when some row has an area: without areas (ha_compatible)
 * the names do not matter.
 */
export function withAreaNames(
  rows: readonly StoredEntityRow[],
  names: Outcome<ReadonlyMap<string, string>>,
): { entities: EntityRow[]; problems: Problem[] } {
  const known = names.ok ? names.value : undefined;
  const entities = rows.map((r) => ({
    ...r,
    areaName: r.area === undefined ? undefined : (known?.get(r.area) ?? r.area),
  }));
  const problems: Problem[] =
    !names.ok && rows.some((r) => r.area !== undefined)
      ? [
          {
            sibling: 'homeiq-ingestor',
            what: 'area names',
            why: `${names.error.message}; the areas are shown by their ids`,
          },
        ]
      : [];
  return { entities, problems };
}
