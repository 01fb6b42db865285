// Entity / device / area / floor / label registries with the
// *_registry_updated events HA fires. `legacy` serialises entries the way
// HA 2024.3.3, the oldest release the ingestor supports, does.

import { randomHex, toSeconds, type Clock } from './clock';
import type {
  AreaEntry,
  AreaInput,
  DeviceEntry,
  DeviceInput,
  EntityEntry,
  EntityInput,
  FloorEntry,
  FloorInput,
  LabelEntry,
  LabelInput,
} from './types';
import { deepEqual } from './states';

export type FireFn = (eventType: string, data: Record<string, unknown>) => void;

// Keys of the list commands' entries that 2024.3.3 does not send and 2025.4.4 does, measured by the
// conformance test against both (tests/e2e/ha-conformance.test.ts): 2024.3.3 already has entity labels,
// area icons and the floor and label registries, but areas are not on floors yet (the test creates a floor
// and a label on both peers, so those entries are measured too).
const KEYS_NEWER_THAN_2024_3 = {
  area: ['floor_id', 'labels', 'humidity_entity_id', 'temperature_entity_id', 'created_at', 'modified_at'],
  device: ['labels', 'model_id', 'primary_config_entry', 'config_entries_subentries', 'created_at', 'modified_at'],
  entity: ['categories', 'config_subentry_id', 'created_at', 'modified_at'],
  floor: ['aliases', 'created_at', 'modified_at'],
  label: ['created_at', 'modified_at'],
} as const;

function without<T extends object>(entry: T, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
  for (const k of keys) delete out[k];
  return out;
}

/** The old values of changed keys: HA's `changes` payload in update events. */
function changesOf<T extends object>(before: T, after: T): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const key of Object.keys(after) as Array<keyof T>) {
    if (key === 'modified_at') continue;
    if (!deepEqual(before[key], after[key])) changes[key as string] = before[key];
  }
  return changes;
}

export class Registries {
  private readonly areaMap = new Map<string, AreaEntry>();
  private readonly floorMap = new Map<string, FloorEntry>();
  private readonly labelMap = new Map<string, LabelEntry>();
  private readonly deviceMap = new Map<string, DeviceEntry>();
  private readonly entityMap = new Map<string, EntityEntry>();

  constructor(
    private readonly clock: Clock,
    private readonly fire: FireFn,
    readonly legacy: boolean,
  ) {}

  private now(): number {
    return toSeconds(this.clock.now());
  }

  private upsert<T extends { created_at: number; modified_at: number }>(
    map: Map<string, T>,
    key: string,
    build: (base: T | undefined, now: number) => T,
  ): { entry: T; action: 'create' | 'update' | 'none'; changes: Record<string, unknown> } {
    const before = map.get(key);
    const now = this.now();
    const entry = build(before, now);
    if (!before) {
      map.set(key, entry);
      return { entry, action: 'create', changes: {} };
    }
    const changes = changesOf(before, entry);
    if (!Object.keys(changes).length) return { entry: before, action: 'none', changes };
    entry.modified_at = now;
    map.set(key, entry);
    return { entry, action: 'update', changes };
  }

  setArea(input: AreaInput): AreaEntry {
    const r = this.upsert(this.areaMap, input.area_id, (base, now) => ({
      aliases: [],
      floor_id: null,
      icon: null,
      labels: [],
      picture: null,
      humidity_entity_id: null,
      temperature_entity_id: null,
      created_at: now,
      modified_at: now,
      ...base,
      ...input,
    }));
    if (r.action !== 'none') this.fire('area_registry_updated', { action: r.action, area_id: input.area_id });
    return r.entry;
  }

  setFloor(input: FloorInput): FloorEntry {
    const r = this.upsert(this.floorMap, input.floor_id, (base, now) => ({
      aliases: [],
      icon: null,
      level: null,
      created_at: now,
      modified_at: now,
      ...base,
      ...input,
    }));
    if (r.action !== 'none') this.fire('floor_registry_updated', { action: r.action, floor_id: input.floor_id });
    return r.entry;
  }

  setLabel(input: LabelInput): LabelEntry {
    const r = this.upsert(this.labelMap, input.label_id, (base, now) => ({
      color: null,
      description: null,
      icon: null,
      created_at: now,
      modified_at: now,
      ...base,
      ...input,
    }));
    if (r.action !== 'none') this.fire('label_registry_updated', { action: r.action, label_id: input.label_id });
    return r.entry;
  }

  setDevice(input: DeviceInput): DeviceEntry {
    const r = this.upsert(this.deviceMap, input.id, (base, now) => ({
      name: null,
      name_by_user: null,
      manufacturer: null,
      model: null,
      model_id: null,
      sw_version: null,
      hw_version: null,
      serial_number: null,
      area_id: null,
      via_device_id: null,
      config_entries: [],
      config_entries_subentries: {},
      configuration_url: null,
      connections: [],
      identifiers: [],
      disabled_by: null,
      entry_type: null,
      labels: [],
      primary_config_entry: null,
      created_at: now,
      modified_at: now,
      ...base,
      ...input,
    }));
    if (r.action === 'update')
      this.fire('device_registry_updated', { action: 'update', device_id: input.id, changes: r.changes });
    else if (r.action === 'create') this.fire('device_registry_updated', { action: 'create', device_id: input.id });
    return r.entry;
  }

  setEntity(input: EntityInput): EntityEntry {
    const r = this.upsert(this.entityMap, input.entity_id, (base, now) => ({
      id: randomHex(),
      unique_id: randomHex(),
      platform: input.entity_id.split('.')[0] ?? 'unknown',
      area_id: null,
      categories: {},
      config_entry_id: null,
      config_subentry_id: null,
      device_id: null,
      disabled_by: null,
      entity_category: null,
      has_entity_name: false,
      hidden_by: null,
      icon: null,
      labels: [],
      name: null,
      options: {},
      original_name: null,
      translation_key: null,
      created_at: now,
      modified_at: now,
      ...base,
      ...input,
    }));
    if (r.action === 'update') {
      this.fire('entity_registry_updated', { action: 'update', entity_id: input.entity_id, changes: r.changes });
    } else if (r.action === 'create') {
      this.fire('entity_registry_updated', { action: 'create', entity_id: input.entity_id });
    }
    return r.entry;
  }

  removeArea(areaId: string): boolean {
    return this.removeFrom(this.areaMap, areaId, 'area_registry_updated', { area_id: areaId });
  }
  removeFloor(floorId: string): boolean {
    return this.removeFrom(this.floorMap, floorId, 'floor_registry_updated', { floor_id: floorId });
  }
  removeLabel(labelId: string): boolean {
    return this.removeFrom(this.labelMap, labelId, 'label_registry_updated', { label_id: labelId });
  }
  removeDevice(deviceId: string): boolean {
    return this.removeFrom(this.deviceMap, deviceId, 'device_registry_updated', { device_id: deviceId });
  }
  removeEntity(entityId: string): boolean {
    return this.removeFrom(this.entityMap, entityId, 'entity_registry_updated', { entity_id: entityId });
  }

  private removeFrom<T>(map: Map<string, T>, key: string, event: string, data: Record<string, unknown>): boolean {
    if (!map.delete(key)) return false;
    this.fire(event, { action: 'remove', ...data });
    return true;
  }

  areas(): AreaEntry[] {
    return [...this.areaMap.values()].map((e) => structuredClone(e));
  }
  floors(): FloorEntry[] {
    return [...this.floorMap.values()].map((e) => structuredClone(e));
  }
  labels(): LabelEntry[] {
    return [...this.labelMap.values()].map((e) => structuredClone(e));
  }
  devices(): DeviceEntry[] {
    return [...this.deviceMap.values()].map((e) => structuredClone(e));
  }
  entities(): EntityEntry[] {
    return [...this.entityMap.values()].map((e) => structuredClone(e));
  }
  entity(entityId: string): EntityEntry | undefined {
    return this.entityMap.get(entityId);
  }
  device(deviceId: string): DeviceEntry | undefined {
    return this.deviceMap.get(deviceId);
  }

  /** Wire form of `config/area_registry/list` etc., shaped for the emulated HA version. */
  listAreas(): Record<string, unknown>[] {
    return this.areas().map((a) => this.wire(a, 'area'));
  }
  listFloors(): Record<string, unknown>[] {
    return this.floors().map((f) => this.wire(f, 'floor'));
  }
  listLabels(): Record<string, unknown>[] {
    return this.labels().map((l) => this.wire(l, 'label'));
  }
  listDevices(): Record<string, unknown>[] {
    return this.devices().map((d) => this.wire(d, 'device'));
  }
  listEntities(): Record<string, unknown>[] {
    return this.entities().map((e) => this.wire(e, 'entity'));
  }

  private wire(entry: object, kind: keyof typeof KEYS_NEWER_THAN_2024_3): Record<string, unknown> {
    return this.legacy ? without(entry, KEYS_NEWER_THAN_2024_3[kind]) : { ...(entry as Record<string, unknown>) };
  }

  /** `config/entity_registry/list_for_display`: compact keys, optional ones only when set. */
  listForDisplay(): { entity_categories: Record<string, string>; entities: Record<string, unknown>[] } {
    const entities = this.entities().map((e) => {
      const d: Record<string, unknown> = { ei: e.entity_id, pl: e.platform };
      if (e.area_id !== null) d['ai'] = e.area_id;
      d['lb'] = e.labels;
      if (e.device_id !== null) d['di'] = e.device_id;
      if (e.icon !== null) d['ic'] = e.icon;
      if (e.translation_key !== null) d['tk'] = e.translation_key;
      if (e.entity_category !== null) d['ec'] = e.entity_category === 'config' ? 0 : 1;
      if (e.hidden_by !== null) d['hb'] = true;
      if (!e.name && e.has_entity_name) d['en'] = e.original_name;
      const precision =
        e.options['sensor']?.['display_precision'] ?? e.options['sensor']?.['suggested_display_precision'];
      if (e.entity_id.startsWith('sensor.') && precision !== undefined && precision !== null) d['dp'] = precision;
      return d;
    });
    return { entity_categories: { '0': 'config', '1': 'diagnostic' }, entities };
  }

  /** Area of an entity: its own, else its device's (how HA resolves area targets). */
  areaOfEntity(entityId: string): string | null {
    const e = this.entityMap.get(entityId);
    if (!e) return null;
    if (e.area_id) return e.area_id;
    return e.device_id ? (this.deviceMap.get(e.device_id)?.area_id ?? null) : null;
  }

  floorOfArea(areaId: string): string | null {
    return this.areaMap.get(areaId)?.floor_id ?? null;
  }
}
