// The demo home: two floors, five areas, three labels, a few devices and
// ~27 entities covering the domains an ingestor sees most. Built fresh on
// every call so callers may change their copy.

import { createHash } from 'node:crypto';
import type { Attributes, DemoEntity, DemoHome, DeviceInput, EntityInput } from './types';

/** Ids shared with the real-HA conformance peer (its configuration defines the same helpers). */
export const CONFORMANCE_SWITCH = 'input_boolean.conformance_switch';
export const CONFORMANCE_LEVEL = 'input_number.conformance_level';

/** Stable 32-hex ids, like HA's uuid hex device and entity ids. */
export const stableId = (name: string): string => createHash('sha256').update(name).digest('hex').slice(0, 32);

const ENTRIES = {
  zha: '01JDEMOZHA00000000000000ZH',
  hue: '01JDEMOHUE00000000000000HU',
  met: '01JDEMOMET00000000000000ME',
  sun: '01JDEMOSUN00000000000000SU',
};

function device(
  key: string,
  name: string,
  entry: string,
  area: string | null,
  extra: Partial<DeviceInput> = {},
): DeviceInput {
  return {
    id: stableId(`device:${key}`),
    name,
    area_id: area,
    config_entries: [entry],
    config_entries_subentries: { [entry]: [null] },
    primary_config_entry: entry,
    identifiers: [[entry === ENTRIES.hue ? 'hue' : 'zha', key]],
    ...extra,
  };
}

interface EntitySpec {
  id: string;
  state: string;
  attrs?: Attributes;
  platform?: string;
  device?: string;
  area?: string;
  labels?: string[];
  category?: 'config' | 'diagnostic';
  /** Name the integration gives the entity (has_entity_name style). */
  original?: string;
}

function entity(spec: EntitySpec): DemoEntity {
  const registry: Omit<EntityInput, 'entity_id'> = {
    id: stableId(`entity:${spec.id}`),
    unique_id: `demo-${spec.id.replace('.', '-')}`,
    platform: spec.platform ?? spec.id.split('.')[0] ?? 'demo',
    device_id: spec.device ? stableId(`device:${spec.device}`) : null,
    area_id: spec.area ?? null,
    labels: spec.labels ?? [],
    entity_category: spec.category ?? null,
    has_entity_name: spec.original !== undefined,
    original_name: spec.original ?? null,
    config_entry_id: spec.platform === 'zha' ? ENTRIES.zha : spec.platform === 'hue' ? ENTRIES.hue : null,
  };
  return { entity_id: spec.id, state: spec.state, attributes: spec.attrs ?? {}, registry };
}

const measurement = (unit: string, deviceClass: string, name: string, stateClass = 'measurement'): Attributes => ({
  state_class: stateClass,
  unit_of_measurement: unit,
  device_class: deviceClass,
  friendly_name: name,
});

export function createDemoHome(): DemoHome {
  return {
    config: {
      location_name: 'Demo Home',
      latitude: 52.3731,
      longitude: 4.8922,
      elevation: 0,
      radius: 100,
      time_zone: 'UTC',
      currency: 'EUR',
      country: 'NL',
      language: 'en',
      unit_system: 'metric',
    },
    floors: [
      { floor_id: 'ground_floor', name: 'Ground floor', level: 0, icon: 'mdi:home-floor-0' },
      { floor_id: 'first_floor', name: 'First floor', level: 1, icon: 'mdi:home-floor-1' },
    ],
    areas: [
      {
        area_id: 'living_room',
        name: 'Living room',
        floor_id: 'ground_floor',
        icon: 'mdi:sofa',
        temperature_entity_id: 'sensor.living_room_temperature',
        humidity_entity_id: 'sensor.living_room_humidity',
      },
      { area_id: 'kitchen', name: 'Kitchen', floor_id: 'ground_floor', icon: 'mdi:stove' },
      { area_id: 'hallway', name: 'Hallway', floor_id: 'ground_floor', labels: ['security'] },
      {
        area_id: 'bedroom',
        name: 'Bedroom',
        floor_id: 'first_floor',
        icon: 'mdi:bed',
        temperature_entity_id: 'sensor.bedroom_temperature',
      },
      { area_id: 'garden', name: 'Garden', aliases: ['Backyard'] },
    ],
    labels: [
      { label_id: 'energy', name: 'Energy', color: 'yellow', icon: 'mdi:flash', description: 'Energy monitoring' },
      { label_id: 'security', name: 'Security', color: 'red', icon: 'mdi:shield-home' },
      { label_id: 'comfort', name: 'Comfort', color: 'green', icon: 'mdi:sofa' },
    ],
    devices: [
      device('living_room_multisensor', 'Living room multisensor', ENTRIES.zha, 'living_room', {
        manufacturer: 'Aqara',
        model: 'Temperature and humidity sensor',
        model_id: 'WSDCGQ11LM',
        sw_version: '0x0000001f',
      }),
      device('bedroom_multisensor', 'Bedroom multisensor', ENTRIES.zha, 'bedroom', {
        manufacturer: 'Aqara',
        model: 'Temperature and humidity sensor',
        model_id: 'WSDCGQ11LM',
      }),
      device('energy_meter', 'Energy meter', ENTRIES.zha, 'hallway', {
        manufacturer: 'Frient',
        model: 'Electricity Meter Interface',
        model_id: 'EMIZB-132',
        labels: ['energy'],
      }),
      device('front_door_sensor', 'Front door sensor', ENTRIES.zha, 'hallway', {
        manufacturer: 'IKEA of Sweden',
        model: 'PARASOLL',
        labels: ['security'],
      }),
      device('hue_bridge', 'Hue Bridge', ENTRIES.hue, 'living_room', {
        manufacturer: 'Signify Netherlands B.V.',
        model: 'Hue Bridge',
        model_id: 'BSB002',
        entry_type: null,
        sw_version: '1.66.1966060010',
      }),
      device('living_room_lamp', 'Living room lamp', ENTRIES.hue, 'living_room', {
        manufacturer: 'Signify Netherlands B.V.',
        model: 'Hue color lamp',
        model_id: 'LCA001',
        via_device_id: stableId('device:hue_bridge'),
      }),
      device('thermostat', 'Thermostat', ENTRIES.zha, 'living_room', {
        manufacturer: 'Danfoss',
        model: 'eTRV0100',
        labels: ['comfort'],
      }),
    ],
    entities: [
      entity({
        id: 'sensor.living_room_temperature',
        state: '21.4',
        platform: 'zha',
        device: 'living_room_multisensor',
        original: 'Temperature',
        attrs: measurement('°C', 'temperature', 'Living room multisensor Temperature'),
      }),
      entity({
        id: 'sensor.living_room_humidity',
        state: '45.2',
        platform: 'zha',
        device: 'living_room_multisensor',
        original: 'Humidity',
        attrs: measurement('%', 'humidity', 'Living room multisensor Humidity'),
      }),
      entity({
        id: 'sensor.bedroom_temperature',
        state: '19.8',
        platform: 'zha',
        device: 'bedroom_multisensor',
        original: 'Temperature',
        attrs: measurement('°C', 'temperature', 'Bedroom multisensor Temperature'),
      }),
      entity({
        id: 'sensor.bedroom_humidity',
        state: '51.0',
        platform: 'zha',
        device: 'bedroom_multisensor',
        original: 'Humidity',
        attrs: measurement('%', 'humidity', 'Bedroom multisensor Humidity'),
      }),
      entity({
        id: 'sensor.outdoor_temperature',
        state: '12.3',
        platform: 'met',
        area: 'garden',
        attrs: measurement('°C', 'temperature', 'Outdoor temperature'),
      }),
      entity({
        id: 'sensor.house_power',
        state: '412.5',
        platform: 'zha',
        device: 'energy_meter',
        original: 'Power',
        labels: ['energy'],
        attrs: measurement('W', 'power', 'Energy meter Power'),
      }),
      entity({
        id: 'sensor.house_energy',
        state: '1523.482',
        platform: 'zha',
        device: 'energy_meter',
        original: 'Summation delivered',
        labels: ['energy'],
        attrs: measurement('kWh', 'energy', 'Energy meter Summation delivered', 'total_increasing'),
      }),
      entity({
        id: 'sensor.solar_power',
        state: '0.0',
        platform: 'template',
        area: 'garden',
        labels: ['energy'],
        attrs: measurement('W', 'power', 'Solar power'),
      }),
      entity({
        id: 'sensor.front_door_battery',
        state: '87',
        platform: 'zha',
        device: 'front_door_sensor',
        original: 'Battery',
        category: 'diagnostic',
        attrs: measurement('%', 'battery', 'Front door sensor Battery'),
      }),
      entity({
        id: 'binary_sensor.front_door',
        state: 'off',
        platform: 'zha',
        device: 'front_door_sensor',
        original: 'Door',
        labels: ['security'],
        attrs: { device_class: 'door', friendly_name: 'Front door sensor Door' },
      }),
      entity({
        id: 'binary_sensor.hallway_motion',
        state: 'off',
        platform: 'zha',
        area: 'hallway',
        labels: ['security'],
        attrs: { device_class: 'motion', friendly_name: 'Hallway motion' },
      }),
      entity({
        id: 'binary_sensor.kitchen_window',
        state: 'off',
        platform: 'zha',
        area: 'kitchen',
        attrs: { device_class: 'window', friendly_name: 'Kitchen window' },
      }),
      entity({
        id: 'light.living_room',
        state: 'on',
        platform: 'hue',
        device: 'living_room_lamp',
        labels: ['comfort'],
        attrs: {
          min_color_temp_kelvin: 2000,
          max_color_temp_kelvin: 6535,
          min_mireds: 153,
          max_mireds: 500,
          effect_list: ['None', 'candle', 'fire'],
          supported_color_modes: ['color_temp', 'xy'],
          color_mode: 'color_temp',
          brightness: 180,
          color_temp_kelvin: 2700,
          color_temp: 370,
          hs_color: [27.827, 56.922],
          rgb_color: [255, 167, 110],
          xy_color: [0.525, 0.388],
          effect: 'None',
          friendly_name: 'Living room lamp',
          supported_features: 44,
        },
      }),
      entity({
        id: 'light.kitchen',
        state: 'off',
        platform: 'hue',
        area: 'kitchen',
        attrs: {
          supported_color_modes: ['brightness'],
          color_mode: null,
          brightness: null,
          friendly_name: 'Kitchen',
          supported_features: 32,
        },
      }),
      entity({
        id: 'light.bedroom',
        state: 'off',
        platform: 'hue',
        area: 'bedroom',
        attrs: {
          supported_color_modes: ['rgb'],
          color_mode: null,
          brightness: null,
          rgb_color: null,
          friendly_name: 'Bedroom',
          supported_features: 32,
        },
      }),
      entity({
        id: 'switch.coffee_maker',
        state: 'off',
        platform: 'zha',
        area: 'kitchen',
        labels: ['energy'],
        attrs: { friendly_name: 'Coffee maker' },
      }),
      entity({
        id: 'climate.living_room',
        state: 'heat',
        platform: 'zha',
        device: 'thermostat',
        labels: ['comfort'],
        attrs: {
          hvac_modes: ['off', 'heat', 'auto'],
          min_temp: 7,
          max_temp: 35,
          target_temp_step: 0.5,
          preset_modes: ['none', 'away', 'boost'],
          current_temperature: 21.4,
          temperature: 21,
          hvac_action: 'heating',
          preset_mode: 'none',
          friendly_name: 'Thermostat',
          supported_features: 401,
        },
      }),
      entity({
        id: 'weather.home',
        state: 'partlycloudy',
        platform: 'met',
        attrs: {
          temperature: 12.3,
          apparent_temperature: 10.9,
          dew_point: 6.1,
          temperature_unit: '°C',
          humidity: 71,
          cloud_coverage: 60,
          uv_index: 1.2,
          pressure: 1013.2,
          pressure_unit: 'hPa',
          wind_bearing: 225,
          wind_gust_speed: 29.5,
          wind_speed: 14.4,
          wind_speed_unit: 'km/h',
          visibility_unit: 'km',
          precipitation_unit: 'mm',
          attribution: 'Weather forecast from met.no, delivered by the Norwegian Meteorological Institute.',
          friendly_name: 'Home',
          supported_features: 3,
        },
      }),
      entity({
        id: CONFORMANCE_SWITCH,
        state: 'off',
        platform: 'input_boolean',
        attrs: { editable: false, icon: 'mdi:toggle-switch', friendly_name: 'Conformance switch' },
      }),
      entity({
        id: CONFORMANCE_LEVEL,
        state: '50.0',
        platform: 'input_number',
        attrs: {
          initial: 50,
          editable: false,
          min: 0,
          max: 100,
          step: 1,
          mode: 'slider',
          friendly_name: 'Conformance level',
        },
      }),
      entity({
        id: 'input_boolean.guest_mode',
        state: 'off',
        platform: 'input_boolean',
        attrs: { editable: true, friendly_name: 'Guest mode' },
      }),
      entity({
        id: 'input_select.house_mode',
        state: 'home',
        platform: 'input_select',
        attrs: { options: ['home', 'away', 'night', 'vacation'], editable: true, friendly_name: 'House mode' },
      }),
      entity({
        id: 'input_text.note',
        state: 'hello',
        platform: 'input_text',
        attrs: { editable: true, min: 0, max: 100, pattern: null, mode: 'text', friendly_name: 'Note' },
      }),
      entity({
        id: 'counter.doorbell_presses',
        state: '0',
        platform: 'counter',
        attrs: { initial: 0, editable: true, step: 1, minimum: null, maximum: null, friendly_name: 'Doorbell presses' },
      }),
      entity({
        id: 'person.alice',
        state: 'home',
        platform: 'person',
        attrs: {
          editable: true,
          id: 'alice',
          device_trackers: [],
          latitude: 52.3731,
          longitude: 4.8922,
          gps_accuracy: 10,
          user_id: null,
          friendly_name: 'Alice',
        },
      }),
      entity({
        id: 'sun.sun',
        state: 'above_horizon',
        platform: 'sun',
        category: 'diagnostic',
        attrs: {
          next_dawn: '2026-09-02T04:29:12.123456+00:00',
          next_dusk: '2026-09-01T19:39:40.456789+00:00',
          next_midnight: '2026-09-01T23:34:51+00:00',
          next_noon: '2026-09-02T11:34:53+00:00',
          next_rising: '2026-09-02T05:07:31.111111+00:00',
          next_setting: '2026-09-01T19:01:17.222222+00:00',
          elevation: 34.5,
          azimuth: 180.2,
          rising: false,
          friendly_name: 'Sun',
        },
      }),
      {
        entity_id: 'zone.home',
        state: '1',
        attributes: {
          latitude: 52.3731,
          longitude: 4.8922,
          radius: 100,
          passive: false,
          persons: ['person.alice'],
          editable: true,
          icon: 'mdi:home',
          friendly_name: 'Home',
        },
        registry: false,
      },
    ],
  };
}

/** A home with no entities or registry entries, for tests that build their own. */
export function createEmptyHome(): DemoHome {
  return { ...createDemoHome(), floors: [], areas: [], labels: [], devices: [], entities: [] };
}
