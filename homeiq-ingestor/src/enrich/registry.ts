import type { Logger } from '@homeiq/shared';
import { HaCommandError, type HaSession } from '../ha/ha-session.js';
import type { EnrichmentTags } from '../points/state-to-points.js';

/**
 * Registry enrichment: HA's entity, device, area, floor and label registries → tags per entity.
 *
 * Choices (documented in DOCS.md):
 * - `area` = the area **id** (the entity's own area, else its device's, as HA resolves it); `floor` = the floor
 *   id of that area. Ids are slugs of the name at creation (`living_room`), readable and, unlike names, stable
 *   when the user renames: a rename does not start a new series.
 * - `device` = the device **name** as HA shows it (`name_by_user`, else `name`): a device id is 32 hex digits,
 *   useless in a dashboard. `device_id` carries the id as well, for exact and rename-proof queries.
 * - `labels` = the label ids of the entity and of its device, deduplicated, sorted, joined by `,`
 *   (`battery,critical`): one tag, so the series key stays one per entity; query one label with a regular
 *   expression `(^|,)critical(,|$)`. Label ids are slugs (no commas).
 * - References to a registry entry that does not exist (a deleted area or label) are left out.
 * - The area and floor **names** are not tags (a rename would split the series); they are kept beside the tags
 *   for the panel (`areas()`, `GET /api/registry/areas`), which shows names where the points carry ids.
 * Measured on the oldest supported HA, 2024.3.3: the floor and label registries answer, but areas have no
 * `floor_id`, entities cannot be given labels and devices have no `labels` key (all 2024.4): those tags are simply
 * absent there. `unknown_command` (an HA from before 2024.3) still means "this HA has none", not an error.
 */

interface EntityEntry {
  entity_id: string;
  area_id?: string | null;
  device_id?: string | null;
  labels?: string[];
}
interface DeviceEntry {
  id: string;
  name?: string | null;
  name_by_user?: string | null;
  area_id?: string | null;
  labels?: string[];
}
interface AreaEntry {
  area_id: string;
  name?: string | null;
  floor_id?: string | null;
}
interface FloorEntry {
  floor_id: string;
  name?: string | null;
}
interface LabelEntry {
  label_id: string;
}

export interface RegistryLists {
  entities: unknown;
  devices: unknown;
  areas: unknown;
  /** undefined when this HA has no floor registry. */
  floors: unknown;
  /** undefined when this HA has no label registry. */
  labels: unknown;
}

const list = <T>(v: unknown, key: keyof T): T[] =>
  Array.isArray(v)
    ? (v.filter(
        (x) => x !== null && typeof x === 'object' && typeof (x as Record<string, unknown>)[key as string] === 'string',
      ) as T[])
    : [];
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : [];

/** Pure: the tags of every registered entity that has at least one. */
export function buildTags(lists: RegistryLists): Map<string, EnrichmentTags> {
  const devices = new Map(list<DeviceEntry>(lists.devices, 'id').map((d) => [d.id, d]));
  const areas = new Map(list<AreaEntry>(lists.areas, 'area_id').map((a) => [a.area_id, a]));
  const floors = new Set(list<FloorEntry>(lists.floors, 'floor_id').map((f) => f.floor_id));
  const labels = new Set(list<LabelEntry>(lists.labels, 'label_id').map((l) => l.label_id));
  const out = new Map<string, EnrichmentTags>();
  for (const e of list<EntityEntry>(lists.entities, 'entity_id')) {
    const device = str(e.device_id) ? devices.get(e.device_id as string) : undefined;
    const areaId = str(e.area_id) ?? str(device?.area_id);
    const area = areaId ? areas.get(areaId) : undefined;
    const floorId = str(area?.floor_id);
    const labelIds = [...new Set([...strings(e.labels), ...strings(device?.labels)])]
      .filter((l) => labels.has(l))
      .sort();
    const tags: EnrichmentTags = {};
    if (area) tags.area = area.area_id;
    if (floorId && floors.has(floorId)) tags.floor = floorId;
    if (device) {
      const name = str(device.name_by_user) ?? str(device.name);
      if (name) tags.device = name;
      tags.device_id = device.id;
    }
    if (labelIds.length > 0) tags.labels = labelIds.join(',');
    if (Object.keys(tags).length > 0) out.set(e.entity_id, tags);
  }
  return out;
}

/** An area as HA names it, with its floor where HA has a floor registry and the area is on a floor that exists. */
export interface AreaName {
  id: string;
  name: string;
  floor?: { id: string; name: string };
}

/**
 * Pure: every area HA returned, in HA's order, named as HA shows it (an entry without a name, which HA does not
 * make, falls back to its id). A floor that does not exist is left out, as in the tags.
 */
export function buildAreas(lists: Pick<RegistryLists, 'areas' | 'floors'>): AreaName[] {
  const floors = new Map(
    list<FloorEntry>(lists.floors, 'floor_id').map((f) => [f.floor_id, str(f.name) ?? f.floor_id]),
  );
  return list<AreaEntry>(lists.areas, 'area_id')
    .filter((a) => a.area_id !== '')
    .map((a) => {
      const floorId = str(a.floor_id);
      const floorName = floorId ? floors.get(floorId) : undefined;
      const area: AreaName = { id: a.area_id, name: str(a.name) ?? a.area_id };
      if (floorId && floorName !== undefined) area.floor = { id: floorId, name: floorName };
      return area;
    });
}

export interface EnrichmentStatus {
  /** Entities with at least one registry tag. */
  entitiesTagged: number;
  devices: number;
  areas: number;
  /** null: this Home Assistant has no floor (or label) registry. */
  floors: number | null;
  labels: number | null;
  refreshes: number;
  lastRefreshAt: string | undefined;
  lastError: string | undefined;
}

export interface RegistryEnricherOptions {
  log: Logger;
  /** Registry events come in bursts (HA startup, a device added): refresh once this long after the last one. */
  debounceMs?: number;
}

/** Keeps the tag map current: a full refresh on every connection and after `*_registry_updated` events. */
export class RegistryEnricher {
  #tags = new Map<string, EnrichmentTags>();
  /** Replaced whole on every read, so it holds exactly what HA last returned; undefined until the first read. */
  #areas: readonly AreaName[] | undefined;
  #session: HaSession | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  readonly #status: EnrichmentStatus = {
    entitiesTagged: 0,
    devices: 0,
    areas: 0,
    floors: null,
    labels: null,
    refreshes: 0,
    lastRefreshAt: undefined,
    lastError: undefined,
  };

  constructor(private readonly opts: RegistryEnricherOptions) {}

  /** Synchronous lookup for the encoder. */
  readonly tagsFor = (entityId: string): EnrichmentTags | undefined => this.#tags.get(entityId);

  status(): EnrichmentStatus {
    return { ...this.#status };
  }

  /** The areas with their names from the last successful read; undefined before the first one. */
  areas(): readonly AreaName[] | undefined {
    return this.#areas;
  }

  /** Refreshes now through `session` (and uses it for event-triggered refreshes until the next one). */
  async refresh(session: HaSession): Promise<void> {
    this.#session = session;
    const optional = (type: string): Promise<unknown> =>
      session.command({ type }).catch((err: unknown) => {
        if (err instanceof HaCommandError && err.code === 'unknown_command') return undefined;
        throw err;
      });
    try {
      const [entities, devices, areas, floors, labels] = await Promise.all([
        session.command({ type: 'config/entity_registry/list' }),
        session.command({ type: 'config/device_registry/list' }),
        session.command({ type: 'config/area_registry/list' }),
        optional('config/floor_registry/list'),
        optional('config/label_registry/list'),
      ]);
      this.#tags = buildTags({ entities, devices, areas, floors, labels });
      this.#areas = buildAreas({ areas, floors });
      const s = this.#status;
      const first = s.refreshes === 0;
      s.entitiesTagged = this.#tags.size;
      s.devices = Array.isArray(devices) ? devices.length : 0;
      s.areas = Array.isArray(areas) ? areas.length : 0;
      s.floors = Array.isArray(floors) ? floors.length : null;
      s.labels = Array.isArray(labels) ? labels.length : null;
      s.refreshes += 1;
      s.lastRefreshAt = new Date().toISOString();
      s.lastError = undefined;
      (first ? this.opts.log.info.bind(this.opts.log) : this.opts.log.debug.bind(this.opts.log))(
        `registries read: ${s.entitiesTagged} entities tagged from ${s.devices} devices, ${s.areas} areas, ` +
          `${s.floors ?? 'no'} floors${s.floors === null ? ' (this Home Assistant has no floor registry)' : ''}, ` +
          `${s.labels ?? 'no'} labels${s.labels === null ? ' (no label registry)' : ''}`,
      );
    } catch (err) {
      this.#status.lastError = (err as Error).message;
      throw err;
    }
  }

  /** A `*_registry_updated` event: refresh after the burst settles. */
  onRegistryEvent(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refreshLater();
    }, this.opts.debounceMs ?? 1000);
  }

  #refreshLater(): void {
    const session = this.#session;
    if (!session || session.closed) return; // the next connection refreshes anyway
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.refresh(session)
      .catch((err: unknown) =>
        this.opts.log.warn(
          `could not re-read HA's registries after a change (${(err as Error).message}); keeping the previous tags`,
        ),
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.#refreshLater();
        }
      });
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
