// A realistic home for the footprint bench: ~330 entities over the domains a typical installation has, each with
// the 5–40 attributes its integration gives it, in areas, on devices; and a driver that changes them at a set rate
// (each write really changes the state or an attribute, so Home Assistant emits state_changed for it).
import { createEmptyHome, type DemoHome, type HaSimulator } from '../dev/ha-sim/index.js';
import { prng } from '../dev/ha-sim/demo-driver.js';
import { stableId } from '../dev/ha-sim/demo-home.js';
import type { Attributes } from '../dev/ha-sim/types.js';

type Rand = () => number;
interface Kind {
  domain: string;
  name: string;
  count: number;
  /** Relative chattiness: how often one entity of this kind changes compared with the others. */
  weight: number;
  state(i: number, r: Rand): string;
  attrs(i: number, r: Rand): Attributes;
  /** The next state and attributes; must differ from the current ones. */
  change(state: string, attrs: Attributes, r: Rand): { state: string; attrs: Attributes };
}

const AREAS = ['living_room', 'kitchen', 'hallway', 'bedroom', 'office', 'bathroom', 'garage', 'garden', 'attic'];

const walk = (state: string, step: number, min: number, max: number, digits: number, r: Rand): string => {
  const cur = Number(state);
  let next = Math.min(max, Math.max(min, (Number.isFinite(cur) ? cur : min) + (r() * 2 - 1) * step)).toFixed(digits);
  if (next === state) next = (Number(next) + 10 ** -digits).toFixed(digits);
  return next;
};
const sensor = (unit: string, deviceClass: string, name: string, extra: Attributes = {}): Attributes => ({
  state_class: 'measurement',
  unit_of_measurement: unit,
  device_class: deviceClass,
  friendly_name: name,
  icon: `mdi:${deviceClass}`,
  ...extra,
});
const many = (prefix: string, n: number, r: Rand): Attributes =>
  Object.fromEntries(Array.from({ length: n }, (_, k) => [`${prefix}_${k}`, Math.round(r() * 1000) / 10]));

const KINDS: Kind[] = [
  {
    domain: 'sensor',
    name: 'power',
    count: 60,
    weight: 6,
    state: (_, r) => (r() * 2000).toFixed(1),
    attrs: (i) => sensor('W', 'power', `Plug ${i} Power`, { attribution: 'Local push' }),
    change: (s, a, r) => ({ state: walk(s, 40, 0, 3600, 1, r), attrs: a }),
  },
  {
    domain: 'sensor',
    name: 'temperature',
    count: 40,
    weight: 2,
    state: (_, r) => (18 + r() * 5).toFixed(1),
    attrs: (i) => sensor('°C', 'temperature', `Room ${i} Temperature`),
    change: (s, a, r) => ({ state: walk(s, 0.2, 5, 35, 1, r), attrs: a }),
  },
  {
    domain: 'sensor',
    name: 'humidity',
    count: 25,
    weight: 1,
    state: (_, r) => (40 + r() * 20).toFixed(0),
    attrs: (i) => sensor('%', 'humidity', `Room ${i} Humidity`),
    change: (s, a, r) => ({ state: walk(s, 2, 10, 95, 0, r), attrs: a }),
  },
  {
    domain: 'sensor',
    name: 'energy',
    count: 30,
    weight: 2,
    state: (_, r) => (1000 + r() * 500).toFixed(3),
    attrs: (i) => sensor('kWh', 'energy', `Meter ${i} Energy`, { state_class: 'total_increasing', last_reset: null }),
    change: (s, a, r) => ({ state: (Number(s) + 0.001 + r() * 0.01).toFixed(3), attrs: a }),
  },
  {
    domain: 'sensor',
    name: 'battery',
    count: 30,
    weight: 0.2,
    state: (_, r) => String(50 + Math.floor(r() * 50)),
    attrs: (i) => sensor('%', 'battery', `Device ${i} Battery`, { entity_category: 'diagnostic' }),
    change: (s, a) => ({ state: String(Number(s) > 1 ? Number(s) - 1 : 100), attrs: a }),
  },
  {
    domain: 'sensor',
    name: 'inverter',
    count: 6,
    weight: 2,
    state: (_, r) => (r() * 5000).toFixed(0),
    attrs: (i, r) => ({ ...sensor('W', 'power', `Inverter ${i}`), ...many('string', 30, r) }),
    change: (s, a, r) => ({ state: walk(s, 100, 0, 6000, 0, r), attrs: { ...a, ...many('string', 30, r) } }),
  },
  {
    domain: 'binary_sensor',
    name: 'motion',
    count: 30,
    weight: 1.5,
    state: () => 'off',
    attrs: (i) => ({
      device_class: 'motion',
      friendly_name: `Motion ${i}`,
      icon: 'mdi:motion-sensor',
      occupancy_timeout: 90,
      sensitivity: 'medium',
    }),
    change: (s, a) => ({ state: s === 'on' ? 'off' : 'on', attrs: a }),
  },
  {
    domain: 'light',
    name: 'lamp',
    count: 40,
    weight: 0.8,
    state: () => 'on',
    attrs: (i, r) => ({
      min_color_temp_kelvin: 2202,
      max_color_temp_kelvin: 6535,
      min_mireds: 153,
      max_mireds: 454,
      effect_list: ['none', 'colorloop', 'candle', 'fireplace'],
      supported_color_modes: ['color_temp', 'xy'],
      color_mode: 'color_temp',
      brightness: Math.floor(r() * 255),
      color_temp_kelvin: 2700,
      color_temp: 370,
      hs_color: [27.0, 60.0],
      rgb_color: [255, 167, 87],
      xy_color: [0.526, 0.387],
      effect: 'none',
      friendly_name: `Lamp ${i}`,
      supported_features: 44,
    }),
    change: (s, a, r) =>
      s === 'on' && r() < 0.5
        ? { state: 'off', attrs: { ...a, brightness: null, color_mode: null } }
        : { state: 'on', attrs: { ...a, brightness: 1 + Math.floor(r() * 254), color_mode: 'color_temp' } },
  },
  {
    domain: 'climate',
    name: 'thermostat',
    count: 8,
    weight: 1,
    state: () => 'heat',
    attrs: (i, r) => ({
      hvac_modes: ['off', 'heat', 'auto'],
      min_temp: 7,
      max_temp: 35,
      target_temp_step: 0.5,
      preset_modes: ['none', 'eco', 'away', 'boost', 'comfort'],
      current_temperature: 19 + r() * 3,
      temperature: 21,
      current_humidity: 45,
      hvac_action: 'heating',
      preset_mode: 'none',
      valve_position: 40,
      window_open: false,
      battery_low: false,
      friendly_name: `Thermostat ${i}`,
      supported_features: 401,
      ...many('schedule', 14, r),
    }),
    change: (s, a, r) => ({
      state: s,
      attrs: { ...a, current_temperature: Number(walk(String(a['current_temperature']), 0.2, 10, 30, 1, r)) },
    }),
  },
  {
    domain: 'media_player',
    name: 'speaker',
    count: 6,
    weight: 0.5,
    state: () => 'playing',
    attrs: (i, r) => ({
      volume_level: 0.3,
      is_volume_muted: false,
      media_content_id: 'spotify:track:6rqhFgbbKwnb9MLmUQDhG6',
      media_content_type: 'music',
      media_duration: 215,
      media_position: 0,
      media_position_updated_at: '2026-01-15T10:00:00+00:00',
      media_title: 'Some "quoted", title = with, commas',
      media_artist: 'Artist',
      media_album_name: 'Album',
      media_track: 3,
      shuffle: false,
      repeat: 'off',
      source: 'Spotify',
      source_list: ['Radio', 'Spotify', 'TV', 'Line in', 'Bluetooth'],
      sound_mode: 'music',
      sound_mode_list: ['music', 'movie', 'voice'],
      group_members: [`media_player.speaker_${i}`],
      entity_picture: `/api/media_player_proxy/media_player.speaker_${i}?token=abc&cache=123`,
      friendly_name: `Speaker ${i}`,
      supported_features: 152463,
      ...many('eq', 14, r),
    }),
    change: (s, a, r) => ({ state: s, attrs: { ...a, media_position: Math.floor(r() * 215), volume_level: r() } }),
  },
  {
    domain: 'device_tracker',
    name: 'phone',
    count: 4,
    weight: 0.5,
    state: () => 'home',
    attrs: (i) => ({
      source_type: 'gps',
      battery_level: 80,
      latitude: 52.37,
      longitude: 4.89,
      gps_accuracy: 12,
      altitude: 3.2,
      course: 0,
      speed: 0,
      vertical_accuracy: 3,
      friendly_name: `Phone ${i}`,
    }),
    change: (s, a, r) => ({ state: s, attrs: { ...a, latitude: 52.37 + r() / 100, longitude: 4.89 + r() / 100 } }),
  },
  {
    domain: 'switch',
    name: 'relay',
    count: 40,
    weight: 0.3,
    state: () => 'off',
    attrs: (i) => ({
      friendly_name: `Relay ${i}`,
      icon: 'mdi:power-socket-eu',
      assumed_state: false,
      device_class: 'outlet',
      restored: false,
    }),
    change: (s, a) => ({ state: s === 'on' ? 'off' : 'on', attrs: a }),
  },
  {
    domain: 'cover',
    name: 'blind',
    count: 12,
    weight: 0.3,
    state: () => 'open',
    attrs: (i, r) => ({
      current_position: Math.floor(r() * 100),
      current_tilt_position: 50,
      device_class: 'blind',
      friendly_name: `Blind ${i}`,
      supported_features: 255,
      moving: false,
      last_moved: '2026-01-15T08:00:00+00:00',
    }),
    change: (s, a, r) => ({
      state: s === 'open' ? 'closed' : 'open',
      attrs: { ...a, current_position: Math.floor(r() * 100) },
    }),
  },
  {
    domain: 'weather',
    name: 'home',
    count: 2,
    weight: 0.3,
    state: () => 'cloudy',
    attrs: (i, r) => ({
      temperature: 12,
      apparent_temperature: 10,
      dew_point: 6,
      temperature_unit: '°C',
      humidity: 70,
      cloud_coverage: 80,
      uv_index: 1,
      pressure: 1012,
      pressure_unit: 'hPa',
      wind_bearing: 220,
      wind_gust_speed: 30,
      wind_speed: 18,
      wind_speed_unit: 'km/h',
      visibility_unit: 'km',
      precipitation_unit: 'mm',
      attribution: 'Weather forecast from met.no, delivered by the Norwegian Meteorological Institute.',
      friendly_name: `Weather ${i}`,
      supported_features: 3,
      ...many('hour', 20, r),
    }),
    change: (s, a, r) => ({ state: s, attrs: { ...a, temperature: Number((8 + r() * 8).toFixed(1)) } }),
  },
];

/** The home: the simulator's empty home plus the entities above, each on a device in an area. */
export function realisticHome(seed = 7): DemoHome {
  const r = prng(seed);
  const home = createEmptyHome();
  home.areas = AREAS.map((a) => ({ area_id: a, name: a.replace('_', ' ') }));
  for (const k of KINDS) {
    for (let i = 0; i < k.count; i += 1) {
      const entityId = `${k.domain}.${k.name}_${i}`;
      const area = AREAS[i % AREAS.length] as string;
      const device = stableId(`device:${entityId}`);
      home.devices.push({ id: device, name: `${k.name} ${i}`, area_id: area, manufacturer: 'Bench', model: k.name });
      home.entities.push({
        entity_id: entityId,
        state: k.state(i, r),
        attributes: k.attrs(i, r),
        registry: { id: stableId(`entity:${entityId}`), platform: 'bench', device_id: device, area_id: null },
      });
    }
  }
  return home;
}

export interface HomeDriver {
  /** State changes per second from now on. */
  setRate(perSecond: number): void;
  /** Writes so far. */
  readonly changes: number;
  stop(): void;
}

/** Changes the home's entities at a rate (weighted by kind), each write a real change, until stopped. */
export function driveHome(sim: HaSimulator, home: DemoHome, seed = 11): HomeDriver {
  const r = prng(seed);
  const current = new Map(home.entities.map((e) => [e.entity_id, { state: e.state, attrs: e.attributes ?? {} }]));
  const pool = KINDS.flatMap((k) =>
    Array.from({ length: k.count }, (_, i) => ({ k, id: `${k.domain}.${k.name}_${i}` })),
  );
  const weights = pool.map((p) => p.k.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  let rate = 0;
  let changes = 0;
  let budget = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    budget = Math.min(budget + (rate * (now - last)) / 1000, rate / 5 + 1);
    last = now;
    for (; budget >= 1; budget -= 1) {
      let pick = r() * total - (weights[0] as number);
      let n = 0;
      while (pick > 0 && n < pool.length - 1) {
        n += 1;
        pick -= weights[n] as number;
      }
      const { k, id } = pool[n] as (typeof pool)[number];
      const cur = current.get(id) as { state: string; attrs: Attributes };
      const next = k.change(cur.state, cur.attrs, r);
      current.set(id, next);
      sim.setState(id, next.state, next.attrs);
      changes += 1;
    }
  }, 20);
  return {
    setRate: (perSecond) => {
      rate = perSecond;
      budget = 0;
      last = performance.now();
    },
    get changes() {
      return changes;
    },
    stop: () => clearInterval(timer),
  };
}
