// Realistic Home Assistant event frames for the benches: state_changed events of a typical home's entity kinds
// (weighted by how often they change, with HA-shaped attributes and contexts), coalesced as HA sends them.
import { prng } from '../dev/ha-sim/demo-driver.js';

const ctx = (r: () => number): { id: string; parent_id: null; user_id: null } => ({
  id: `01J${Math.floor(r() * 1e16)
    .toString(36)
    .toUpperCase()
    .padStart(23, '0')}`,
  parent_id: null,
  user_id: null,
});

/** Entity kinds in a typical home, weighted by how often they change, with HA-shaped attributes. */
const KINDS: Array<{
  weight: number;
  make(i: number, r: () => number): { entity_id: string; state: string; attributes: Record<string, unknown> };
}> = [
  {
    weight: 35,
    make: (i, r) => ({
      entity_id: `sensor.power_${i % 40}`,
      state: (r() * 3000).toFixed(1),
      attributes: {
        state_class: 'measurement',
        unit_of_measurement: 'W',
        device_class: 'power',
        friendly_name: `Plug ${i % 40} Power`,
      },
    }),
  },
  {
    weight: 20,
    make: (i, r) => ({
      entity_id: `sensor.temperature_${i % 25}`,
      state: (15 + r() * 10).toFixed(2),
      attributes: {
        state_class: 'measurement',
        unit_of_measurement: '°C',
        device_class: 'temperature',
        friendly_name: `Room ${i % 25} Temperature`,
      },
    }),
  },
  {
    weight: 8,
    make: (i, r) => ({
      entity_id: `sensor.energy_${i % 10}`,
      state: (1000 + r() * 100).toFixed(3),
      attributes: {
        state_class: 'total_increasing',
        unit_of_measurement: 'kWh',
        device_class: 'energy',
        friendly_name: `Meter ${i % 10} Energy`,
        last_reset: null,
      },
    }),
  },
  {
    weight: 10,
    make: (i, r) => ({
      entity_id: `binary_sensor.motion_${i % 15}`,
      state: r() < 0.5 ? 'on' : 'off',
      attributes: { device_class: 'motion', friendly_name: `Motion ${i % 15}` },
    }),
  },
  {
    weight: 8,
    make: (i, r) => ({
      entity_id: `light.lamp_${i % 20}`,
      state: r() < 0.6 ? 'on' : 'off',
      attributes: {
        min_color_temp_kelvin: 2202,
        max_color_temp_kelvin: 6535,
        supported_color_modes: ['color_temp', 'xy'],
        color_mode: 'color_temp',
        brightness: Math.floor(r() * 255),
        color_temp_kelvin: 2700 + Math.floor(r() * 3000),
        hs_color: [r() * 360, r() * 100],
        rgb_color: [255, 167, 87],
        xy_color: [0.526, 0.387],
        friendly_name: `Lamp ${i % 20}`,
        supported_features: 40,
      },
    }),
  },
  {
    weight: 6,
    make: (i, r) => ({
      entity_id: `climate.thermostat_${i % 5}`,
      state: 'heat',
      attributes: {
        hvac_modes: ['off', 'heat', 'auto'],
        min_temp: 7,
        max_temp: 35,
        target_temp_step: 0.5,
        preset_modes: ['none', 'eco', 'away', 'boost'],
        current_temperature: 19 + r() * 3,
        temperature: 21,
        hvac_action: r() < 0.5 ? 'heating' : 'idle',
        preset_mode: 'none',
        friendly_name: `Thermostat ${i % 5}`,
        supported_features: 401,
      },
    }),
  },
  {
    weight: 5,
    make: (i, r) => ({
      entity_id: `switch.relay_${i % 12}`,
      state: r() < 0.5 ? 'on' : 'off',
      attributes: { friendly_name: `Relay ${i % 12}` },
    }),
  },
  {
    weight: 4,
    make: (i, r) => ({
      entity_id: `media_player.speaker_${i % 3}`,
      state: 'playing',
      attributes: {
        volume_level: r(),
        is_volume_muted: false,
        media_content_type: 'music',
        media_duration: 215,
        media_position: Math.floor(r() * 215),
        media_position_updated_at: new Date().toISOString(),
        media_title: 'Some "quoted", title = with, commas',
        media_artist: 'Artist',
        media_album_name: 'Album',
        source_list: ['Radio', 'Spotify', 'TV'],
        group_members: [`media_player.speaker_${i % 3}`],
        entity_picture: '/api/media_player_proxy/media_player.speaker?token=abc&cache=123',
        friendly_name: `Speaker ${i % 3}`,
        supported_features: 152463,
      },
    }),
  },
  {
    weight: 4,
    make: (i, r) => ({
      entity_id: `device_tracker.phone_${i % 4}`,
      state: r() < 0.7 ? 'home' : 'not_home',
      attributes: {
        source_type: 'gps',
        battery_level: Math.floor(r() * 100),
        latitude: 52.37 + r() / 100,
        longitude: 4.89 + r() / 100,
        gps_accuracy: 12,
        altitude: 3.2,
        course: 0,
        speed: 0,
        vertical_accuracy: 3,
        friendly_name: `Phone ${i % 4}`,
      },
    }),
  },
];
const TOTAL_WEIGHT = KINDS.reduce((n, k) => n + k.weight, 0);

/** `frames` coalesced frames of 1..`maxPerFrame` events, as HA sends them (a JSON array of event messages). */
export function makeFrames(frames: number, maxPerFrame: number, seed = 42): { frames: string[]; events: number } {
  const r = prng(seed);
  const out: string[] = [];
  let events = 0;
  let t = Date.parse('2026-01-15T10:00:00Z') * 1000;
  for (let f = 0; f < frames; f += 1) {
    const n = 1 + Math.floor(r() * maxPerFrame);
    const msgs: unknown[] = [];
    for (let k = 0; k < n; k += 1) {
      let pick = r() * TOTAL_WEIGHT;
      const kind =
        KINDS.find((x) => {
          pick -= x.weight;
          return pick < 0;
        }) ?? (KINDS[0] as (typeof KINDS)[number]);
      const i = Math.floor(r() * 1000);
      const cur = kind.make(i, r);
      const old = kind.make(i, r);
      t += 1 + Math.floor(r() * 5000);
      const iso = new Date(t / 1000).toISOString().replace('Z', `${String(t % 1000).padStart(3, '0')}+00:00`);
      const c = ctx(r);
      const state = (s: typeof cur, when: string) => ({
        ...s,
        last_changed: when,
        last_reported: when,
        last_updated: when,
        context: c,
      });
      msgs.push({
        id: 2,
        type: 'event',
        event: {
          event_type: 'state_changed',
          data: {
            entity_id: cur.entity_id,
            old_state: state(old, '2026-01-15T09:59:00.000000+00:00'),
            new_state: state(cur, iso),
          },
          origin: 'LOCAL',
          time_fired: iso,
          context: c,
        },
      });
      events += 1;
    }
    out.push(JSON.stringify(n === 1 ? msgs[0] : msgs));
  }
  return { frames: out, events };
}
