// Drives the demo home with plausible changes at a chosen rate: sensors
// random-walk, energy only grows, doors and motion flip, lights switch,
// attribute-only updates and unchanged re-reports happen too (the latter
// produce state_reported, as flat sensors do in HA).

import type { HaSimulator } from './server';
import type { Attributes, State } from './types';

export interface DemoDriverOptions {
  /** State writes per second; clamped to [0, 10000]. */
  ratePerSecond: number;
  /** Same seed, same sequence of changes. */
  seed?: number;
  tickMs?: number;
}

export interface DemoDriver {
  stop(): void;
  /** Writes issued so far. */
  readonly changes: number;
}

const MAX_RATE = 10_000;

/** mulberry32: tiny, seedable, good enough for demo noise and reproducible bench input. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mutation = (s: State, rnd: () => number) => { state: string; attributes: Attributes } | undefined;

const walk =
  (step: number, min: number, max: number, digits: number): Mutation =>
  (s, rnd) => {
    const current = Number(s.state);
    const base = Number.isFinite(current) ? current : (min + max) / 2;
    const next = Math.min(max, Math.max(min, base + (rnd() * 2 - 1) * step));
    return { state: next.toFixed(digits), attributes: s.attributes };
  };
const flip =
  (a: string, b: string, pA: number): Mutation =>
  (s, rnd) => ({ state: rnd() < pA ? a : b, attributes: s.attributes });
const attr =
  (key: string, step: number, digits: number): Mutation =>
  (s, rnd) => {
    const v = Number(s.attributes[key] ?? 0);
    return {
      state: s.state,
      attributes: { ...s.attributes, [key]: Number((v + (rnd() * 2 - 1) * step).toFixed(digits)) },
    };
  };
const rereport: Mutation = (s) => ({ state: s.state, attributes: s.attributes });

// [entity, weight, mutation]: weights roughly follow how chatty each kind of entity is.
const PLAN: Array<[string, number, Mutation]> = [
  ['sensor.house_power', 8, walk(60, 120, 6000, 1)],
  [
    'sensor.house_energy',
    4,
    (s, rnd) => ({ state: (Number(s.state) + rnd() * 0.01).toFixed(3), attributes: s.attributes }),
  ],
  ['sensor.solar_power', 4, walk(80, 0, 3200, 1)],
  ['sensor.living_room_temperature', 3, walk(0.1, 15, 28, 1)],
  ['sensor.bedroom_temperature', 3, walk(0.1, 14, 26, 1)],
  ['sensor.outdoor_temperature', 2, walk(0.2, -10, 35, 1)],
  ['sensor.living_room_humidity', 2, walk(0.4, 25, 80, 1)],
  ['sensor.bedroom_humidity', 2, walk(0.4, 25, 80, 1)],
  ['sensor.living_room_temperature', 1, rereport],
  [
    'sensor.front_door_battery',
    0.2,
    (s) => ({ state: String(Math.max(1, Number(s.state) - 1)), attributes: s.attributes }),
  ],
  ['binary_sensor.hallway_motion', 3, flip('on', 'off', 0.5)],
  ['binary_sensor.front_door', 1, flip('on', 'off', 0.3)],
  ['binary_sensor.kitchen_window', 0.3, flip('on', 'off', 0.2)],
  [
    'light.living_room',
    1,
    (s, rnd) =>
      rnd() < 0.8
        ? { state: 'on', attributes: { ...s.attributes, brightness: Math.round(30 + rnd() * 225) } }
        : { state: 'off', attributes: { ...s.attributes, brightness: null } },
  ],
  [
    'light.kitchen',
    0.6,
    (s, rnd) =>
      rnd() < 0.5
        ? { state: 'on', attributes: { ...s.attributes, color_mode: 'brightness', brightness: 255 } }
        : { state: 'off', attributes: { ...s.attributes, color_mode: null, brightness: null } },
  ],
  ['switch.coffee_maker', 0.3, flip('on', 'off', 0.3)],
  ['climate.living_room', 2, attr('current_temperature', 0.1, 1)],
  ['weather.home', 1, attr('temperature', 0.2, 1)],
  ['sun.sun', 1, attr('elevation', 0.3, 2)],
  ['person.alice', 0.1, flip('home', 'not_home', 0.7)],
];
const TOTAL_WEIGHT = PLAN.reduce((sum, [, w]) => sum + w, 0);

export function startDemoDriver(sim: HaSimulator, options: DemoDriverOptions): DemoDriver {
  const rate = Math.min(MAX_RATE, Math.max(0, options.ratePerSecond));
  const tickMs = options.tickMs ?? 50;
  const rnd = prng(options.seed ?? 1);
  let changes = 0;
  let budget = 0;
  let last = performance.now();

  const pick = (): [string, Mutation] => {
    let r = rnd() * TOTAL_WEIGHT;
    for (const [id, w, m] of PLAN) {
      r -= w;
      if (r <= 0) return [id, m];
    }
    const [id, , m] = PLAN[0] as [string, number, Mutation];
    return [id, m];
  };

  const tick = () => {
    const now = performance.now();
    // Cap the catch-up so a stalled event loop does not turn into a burst.
    budget = Math.min(budget + (rate * (now - last)) / 1000, rate * (tickMs / 1000) * 4 + 1);
    last = now;
    if (budget < 1) return;
    // Refresh once per tick so service calls made meanwhile are respected.
    const current = new Map(sim.states().map((s) => [s.entity_id, s]));
    for (; budget >= 1; budget--) {
      const [entityId, mutate] = pick();
      const state = current.get(entityId);
      const next = state && mutate(state, rnd);
      if (!state || !next) continue;
      sim.setState(entityId, next.state, next.attributes);
      current.set(entityId, { ...state, state: next.state, attributes: next.attributes });
      changes++;
    }
  };

  const timer = setInterval(tick, tickMs);
  return {
    stop: () => clearInterval(timer),
    get changes() {
      return changes;
    },
  };
}
