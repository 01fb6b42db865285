import { describe, expect, it } from 'vitest';
import type { HaEvent } from '../ha/messages.js';
import { EventEncoder } from './event-encoder.js';
import { EntityFilter } from './filter.js';
import { encodeHaCompatible } from './ha-compatible.js';
import { encodeState, stateValue, type EncodeOptions, type HaState } from './state-to-points.js';

const opts: EncodeOptions = { maxStringLength: 64, excludeAttributes: new Set(['entity_picture']), layout: 'homeiq' };
const TS = '2026-09-01T10:01:00.123456+00:00';
const NS = '1788256860123456000';
const st = (s: Partial<HaState>): HaState => ({
  entity_id: 'sensor.living_room_temp',
  state: '21.5',
  attributes: {},
  last_updated: TS,
  ...s,
});
const noFilter = new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] });
const changed = (newState: unknown, eventType = 'state_changed'): HaEvent => ({
  event_type: eventType,
  data: { entity_id: 'x', old_state: null, new_state: newState },
  time_fired: TS,
  origin: 'LOCAL',
  context: { id: '01J', parent_id: null, user_id: null },
});

describe('HomeIQ layout', () => {
  it('writes a numeric sensor with tags, state, value and typed attributes at last_updated', () => {
    const { line } = encodeState(
      st({
        attributes: {
          unit_of_measurement: '°C',
          device_class: 'temperature',
          state_class: 'measurement',
          friendly_name: 'Living room temp',
          precision: 1,
          hidden: false,
          options: [1, 'a'],
          entity_picture: '/x.png',
          gone: null,
        },
      }),
      opts,
    );
    expect(line).toBe(
      'sensor,device_class=temperature,domain=sensor,entity_id=sensor.living_room_temp,unit=°C ' +
        'state="21.5",value=21.5,attr_state_class_str="measurement",attr_friendly_name_str="Living room temp",' +
        `attr_precision_num=1,attr_hidden_bool=false,attr_options_json="[1,\\"a\\"]" ${NS}`,
    );
  });

  it('maps boolean-like states to 1/0 and leaves other strings without a value', () => {
    expect(stateValue('on')).toBe(1);
    expect(stateValue('OFF')).toBe(0);
    expect(stateValue('home')).toBe(1);
    expect(stateValue('not_home')).toBe(0);
    expect(stateValue('open')).toBe(1);
    expect(stateValue('-1.5e3')).toBe(-1500);
    expect(stateValue('unknown')).toBeUndefined();
    expect(stateValue('unavailable')).toBeUndefined();
    expect(stateValue('NaN')).toBeUndefined();
    expect(stateValue('Infinity')).toBeUndefined();
    expect(stateValue('1e999')).toBeUndefined();
    expect(stateValue('0x10')).toBeUndefined();
    expect(stateValue('')).toBeUndefined();
    expect(encodeState(st({ entity_id: 'light.k', state: 'on' }), opts).line).toBe(
      `light,domain=light,entity_id=light.k state="on",value=1 ${NS}`,
    );
    expect(encodeState(st({ state: 'unavailable' }), opts).line).toBe(
      `sensor,domain=sensor,entity_id=sensor.living_room_temp state="unavailable" ${NS}`,
    );
  });

  it('caps long strings with a visible marker and reports it', () => {
    const r = encodeState(st({ state: 'x'.repeat(100), attributes: { big: 'y'.repeat(70) } }), opts);
    expect(r.line).toContain(`state="${'x'.repeat(64)}…[truncated 36 chars]"`);
    expect(r.line).toContain(`attr_big_str="${'y'.repeat(64)}…[truncated 6 chars]"`);
    expect(r.problems).toContain('truncated');
  });

  it('survives deep nesting with a marker instead of a crash', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i += 1) deep = [deep];
    const r = encodeState(st({ attributes: { deep } }), { ...opts, maxStringLength: 100_000 });
    expect(r.line).toMatch(/attr_deep_json="(\[unencodable: RangeError\]|\[+1\]+)"/);
  });

  it('keeps hostile entity ids and attribute names inside their tag/field', () => {
    const r = encodeState(st({ entity_id: 'evil id,x=1 y="2"\n', attributes: { 'a b,c=d"\\': 'v "q" \\' } }), opts);
    expect(r.problems).toContain('hostile_entity_id');
    expect(r.line).toBe(
      `invalid,domain=invalid,entity_id=evil\\ id\\,x\\=1\\ y\\="2"\uFFFD state="21.5",value=21.5,attr_a\\ b\\,c\\=d"\u29F5_str="v \\"q\\" \\\\" ${NS}`,
    );
  });

  it('refuses a state without a parsable last_updated', () => {
    expect(encodeState(st({ last_updated: 'never' }), opts)).toEqual({ problems: ['bad_timestamp'] });
  });
});

describe('ha_compatible layout (HA influxdb integration defaults)', () => {
  it('matches the documented example', () => {
    const s = st({
      attributes: {
        unit_of_measurement: '°C',
        device_class: 'temperature',
        state_class: 'measurement',
        friendly_name: 'Living room temp',
      },
    });
    expect(encodeHaCompatible(s, TS, opts).line).toBe(
      `°C,domain=sensor,entity_id=living_room_temp value=21.5,device_class_str="temperature",state_class_str="measurement",friendly_name_str="Living room temp" ${NS}`,
    );
  });

  it('writes state and value for boolean-like states, measurement = entity_id without a unit', () => {
    expect(
      encodeHaCompatible(st({ entity_id: 'light.k', state: 'on', attributes: { brightness: 255, on: true } }), TS, opts)
        .line,
    ).toBe(`light.k,domain=light,entity_id=k state="on",value=1,brightness=255,on=1 ${NS}`);
  });

  it('skips unknown/unavailable, renames colliding keys and adds digit-tail numbers', () => {
    expect(encodeHaCompatible(st({ state: 'unknown' }), TS, opts).line).toBeUndefined();
    const line = encodeHaCompatible(
      st({ state: 'cloudy', attributes: { value: 'x', energy: '12.5 kWh', nan: Number.NaN } }),
      TS,
      opts,
    ).line;
    expect(line).toBe(
      `sensor.living_room_temp,domain=sensor,entity_id=living_room_temp state="cloudy",value_str="x",energy_str="12.5 kWh",energy=12.5 ${NS}`,
    );
  });
});

describe('EventEncoder', () => {
  it('encodes state_changed, filters, and reports each problem kind once', () => {
    const seen: string[] = [];
    const filter = new EntityFilter({
      includeDomains: [],
      includeEntities: [],
      excludeDomains: ['automation'],
      excludeEntities: ['sensor.*_battery'],
    });
    const enc = new EventEncoder(opts, filter, (p) => seen.push(p));
    expect(enc.encode(changed(st({})))).toContain('sensor,domain=sensor');
    expect(enc.encode(changed(st({ entity_id: 'sensor.phone_battery' })))).toBeUndefined();
    expect(enc.encode(changed(st({ entity_id: 'automation.x' })))).toBeUndefined();
    expect(enc.encode(changed(null))).toBeUndefined();
    expect(enc.encode(changed({ state: 1 }))).toBeUndefined();
    expect(enc.encode(changed({ state: 1 }))).toBeUndefined();
    expect(
      enc.encode({ event_type: 'state_changed', data: null, time_fired: TS } as unknown as HaEvent),
    ).toBeUndefined();
    expect(enc.encode(null as unknown as HaEvent)).toBeUndefined();
    expect(enc.stats()).toEqual({ encoded: 1, filtered: 2, dropped: 5, problems: { entity_removed: 1, bad_event: 4 } });
    expect(seen).toEqual(['entity_removed', 'bad_event']);
  });

  it('writes other events to ha_events with their context', () => {
    const enc = new EventEncoder(opts, noFilter, () => undefined);
    expect(enc.encode({ ...changed(null, 'call_service'), data: { domain: 'light', service: 'turn_on' } })).toBe(
      `ha_events,event_type=call_service data_json="{\\"domain\\":\\"light\\",\\"service\\":\\"turn_on\\"}",origin="LOCAL",context_id="01J" ${NS}`,
    );
  });

  it('include lists restrict, exclude wins', () => {
    const f = new EntityFilter({
      includeDomains: ['sensor'],
      includeEntities: ['light.kitchen_?'],
      excludeDomains: [],
      excludeEntities: ['sensor.secret*'],
    });
    expect(f.accepts('sensor.a')).toBe(true);
    expect(f.accepts('light.kitchen_1')).toBe(true);
    expect(f.accepts('light.kitchen_12')).toBe(false);
    expect(f.accepts('sensor.secret_code')).toBe(false);
    expect(f.accepts('switch.a')).toBe(false);
    // Asked again (decisions are cached per entity): the same answers.
    for (const [id, want] of [
      ['sensor.a', true],
      ['light.kitchen_12', false],
      ['sensor.secret_code', false],
      ['light.kitchen_1', true],
    ] as const) {
      expect(f.accepts(id), id).toBe(want);
      expect(f.accepts(id), id).toBe(want);
    }
    expect(noFilter.accepts('anything.at_all')).toBe(true);
  });
});
