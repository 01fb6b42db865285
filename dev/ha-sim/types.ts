// Wire-level and registry types of the Home Assistant simulator.
// No imports on purpose: tests and other tools can use these types without
// pulling in the server.

export interface Context {
  id: string;
  parent_id: string | null;
  user_id: string | null;
}

export type Attributes = Record<string, unknown>;

/** A state as HA serialises it (`State.as_dict`). */
export interface State {
  entity_id: string;
  state: string;
  attributes: Attributes;
  last_changed: string;
  /** 2024.4+; stays at the last change on the wire (see StateRecord.shownReported). */
  last_reported?: string;
  last_updated: string;
  context: Context;
}

export interface SetStateOptions {
  context?: Partial<Context>;
  /**
   * Backdates the write: every timestamp this write moves (last_changed,
   * last_updated, last_reported) takes this instant instead of "now". Lets a
   * test seed history in the past.
   */
  lastChanged?: Date | string;
  forceUpdate?: boolean;
}

export interface AreaEntry {
  area_id: string;
  name: string;
  aliases: string[];
  floor_id: string | null;
  icon: string | null;
  labels: string[];
  picture: string | null;
  humidity_entity_id: string | null;
  temperature_entity_id: string | null;
  created_at: number;
  modified_at: number;
}

export interface FloorEntry {
  floor_id: string;
  name: string;
  aliases: string[];
  icon: string | null;
  level: number | null;
  created_at: number;
  modified_at: number;
}

export interface LabelEntry {
  label_id: string;
  name: string;
  color: string | null;
  description: string | null;
  icon: string | null;
  created_at: number;
  modified_at: number;
}

export interface DeviceEntry {
  id: string;
  name: string | null;
  name_by_user: string | null;
  manufacturer: string | null;
  model: string | null;
  model_id: string | null;
  sw_version: string | null;
  hw_version: string | null;
  serial_number: string | null;
  area_id: string | null;
  via_device_id: string | null;
  config_entries: string[];
  config_entries_subentries: Record<string, Array<string | null>>;
  configuration_url: string | null;
  connections: Array<[string, string]>;
  identifiers: Array<[string, string]>;
  disabled_by: string | null;
  entry_type: string | null;
  labels: string[];
  primary_config_entry: string | null;
  created_at: number;
  modified_at: number;
}

export interface EntityEntry {
  entity_id: string;
  id: string;
  unique_id: string;
  platform: string;
  area_id: string | null;
  categories: Record<string, string>;
  config_entry_id: string | null;
  config_subentry_id: string | null;
  device_id: string | null;
  disabled_by: string | null;
  entity_category: 'config' | 'diagnostic' | null;
  has_entity_name: boolean;
  hidden_by: string | null;
  icon: string | null;
  labels: string[];
  name: string | null;
  options: Record<string, Record<string, unknown>>;
  original_name: string | null;
  translation_key: string | null;
  created_at: number;
  modified_at: number;
}

export type AreaInput = Partial<AreaEntry> & { area_id: string; name: string };
export type FloorInput = Partial<FloorEntry> & { floor_id: string; name: string };
export type LabelInput = Partial<LabelEntry> & { label_id: string; name: string };
export type DeviceInput = Partial<DeviceEntry> & { id: string };
export type EntityInput = Partial<EntityEntry> & { entity_id: string };

export interface HomeConfig {
  location_name: string;
  latitude: number;
  longitude: number;
  elevation: number;
  radius: number;
  time_zone: string;
  currency: string;
  country: string | null;
  language: string;
  unit_system: 'metric' | 'us_customary';
}

export interface DemoEntity {
  entity_id: string;
  state: string;
  attributes?: Attributes;
  /** Registry entry for the entity; `false` keeps it out of the registry. */
  registry?: Omit<EntityInput, 'entity_id'> | false;
}

/** Everything the simulator is seeded with at start (and after restarts). */
export interface DemoHome {
  config: HomeConfig;
  floors: FloorInput[];
  areas: AreaInput[];
  labels: LabelInput[];
  devices: DeviceInput[];
  entities: DemoEntity[];
}
