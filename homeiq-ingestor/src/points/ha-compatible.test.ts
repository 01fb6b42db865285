/**
 * ha_compatible against Home Assistant's own integration (`_generate_event_to_json`, docs/HOME-ASSISTANT.md):
 * the expected lines are what HA's code gives for the same state (checked with a Python copy of it).
 */
import { describe, expect, it } from 'vitest';
import { encodeHaCompatible } from './ha-compatible.js';
import type { EncodeOptions, HaState } from './state-model.js';

const opts: EncodeOptions = { maxStringLength: 30, excludeAttributes: new Set(), layout: 'ha_compatible' };
const TS = '2026-09-01T10:01:00.123456+00:00';
const NS = '1788256860123456000';
const st = (state: string, attributes: Record<string, unknown> = {}, entity_id = 'sensor.e'): HaState => ({
  entity_id,
  state,
  attributes,
  last_updated: TS,
});
const fieldsOf = (s: HaState): string | undefined => {
  const line = encodeHaCompatible(s, TS, opts).line;
  return line === undefined ? undefined : line.slice(line.indexOf(' ') + 1, line.lastIndexOf(' '));
};

describe('ha_compatible: colliding keys', () => {
  it('renames an attribute only when its key is already a field, in attribute order', () => {
    // A numeric state writes only `value`: an attribute `state` does not collide.
    expect(fieldsOf(st('21.5', { state: 'ok' }))).toBe('value=21.5,state_str="ok"');
    // A text state writes only `state`: an attribute `value` does not collide.
    expect(fieldsOf(st('heat', { value: 3 }))).toBe('state="heat",value=3');
    expect(fieldsOf(st('21.5', { value: '3 kWh' }))).toBe('value=21.5,value__str="3 kWh"');
    expect(fieldsOf(st('on', { state: 'x', value: 2 }))).toBe('state="on",value=1,state__str="x",value_=2');
    // The `_str` field of an earlier attribute counts as a field.
    expect(fieldsOf(st('heat', { a: 'x', a_str: 'y' }))).toBe('state="heat",a_str="x",a_str__str="y"');
    // A later attribute overwrites an earlier field of the same key, as a Python dict does.
    expect(fieldsOf(st('heat', { a_str: 'y', a: 'x' }))).toBe('state="heat",a_str_str="y",a_str="x"');
  });
});

describe('ha_compatible: numbers in text', () => {
  it('takes the digit tail from the whole text, then caps the text', () => {
    const r = encodeHaCompatible(st('x', { long: 'a'.repeat(40), long2: `v12 ${'a'.repeat(40)}` }), TS, opts);
    expect(r.line).toBe(
      `sensor.e,domain=sensor,entity_id=e state="x",long_str="${'a'.repeat(30)}…[truncated 10 chars]",long2_str="v12 ${'a'.repeat(26)}…[truncated 14 chars]",long2=12 ${NS}`,
    );
    expect(r.problems).toEqual(['truncated', 'truncated']);
  });

  it("reads numbers as Python's float() does", () => {
    expect(
      fieldsOf(
        st('5.e3', {
          x: '5.e3',
          y: '1e1_0',
          z: '2E+3',
          w: ' 7\u00a0',
          v: '\u0085-.5',
          d: '١٢',
          m: '𝟏𝟐.5',
          i: '-iNfInItY',
        }),
      ),
    ).toBe('value=5000,x=5000,y=10000000000,z=2000,w=7,v=-0.5,d=12,m=12.5');
    // Not numbers for Python: stay text (a digit tail needs two digits).
    expect(
      fieldsOf(st('1__0', { a: '1_', b: '_1', c: '1e', d: '.', e: '0x10', f: '\ufeff5', g: '\u001c5', h: '1e1_' })),
    ).toBe(
      'state="1__0",a_str="1_",b_str="_1",c_str="1e",d_str=".",e_str="0x10",e=10,f_str="\ufeff5",g_str="\u001c5",h_str="1e1_"',
    );
  });

  it('writes no state for nan and inf states (HA writes only their value, which InfluxDB cannot take)', () => {
    expect(encodeHaCompatible(st('nan'), TS, opts).line).toBeUndefined();
    expect(fieldsOf(st('inf', { a: 1 }))).toBe('a=1');
    expect(fieldsOf(st('-Infinity', { value: 2 }))).toBe('value_=2');
  });
});

describe('ha_compatible: measurement', () => {
  it('uses a non-text unit as the measurement, as text, and writes no unit field', () => {
    expect(encodeHaCompatible(st('x', { unit_of_measurement: 5 }), TS, opts).line).toBe(
      `5,domain=sensor,entity_id=e state="x" ${NS}`,
    );
    expect(encodeHaCompatible(st('x', { unit_of_measurement: true }), TS, opts).line).toBe(
      `True,domain=sensor,entity_id=e state="x" ${NS}`,
    );
    expect(encodeHaCompatible(st('x', { unit_of_measurement: 0 }), TS, opts).line).toBe(
      `0,domain=sensor,entity_id=e state="x" ${NS}`,
    );
    // Missing, None and '' fall back to the entity id, and the attribute is written like any other.
    expect(encodeHaCompatible(st('x', { unit_of_measurement: null }), TS, opts).line).toBe(
      `sensor.e,domain=sensor,entity_id=e state="x",unit_of_measurement_str="None" ${NS}`,
    );
    expect(encodeHaCompatible(st('x', { unit_of_measurement: '' }), TS, opts).line).toBe(
      `sensor.e,domain=sensor,entity_id=e state="x",unit_of_measurement_str="" ${NS}`,
    );
  });
});

describe('ha_compatible: what InfluxDB cannot take', () => {
  it('caps attribute names, the unit and the entity id at 255 characters', () => {
    const r = encodeHaCompatible(
      st('1', { ['k'.repeat(300)]: 1, unit_of_measurement: 'W'.repeat(70_000) }, `sensor.${'z'.repeat(300)}`),
      TS,
      opts,
    );
    const id = `sensor.${'z'.repeat(300)}`;
    const marker = (n: number): string => `…[truncated\\ ${n}\\ chars]`;
    expect(r.line).toBe(
      `${'W'.repeat(255)}${marker(69_745)},domain=invalid,entity_id=${id.slice(0, 255)}${marker(52)} value=1,${'k'.repeat(255)}${marker(45)}=1 ${NS}`,
    );
    expect(r.problems).toEqual(['hostile_entity_id', 'truncated', 'truncated', 'truncated']);
  });

  it('writes a field key once when two attribute names clean to the same key, counting the other', () => {
    const r = encodeHaCompatible(st('heat', { 'a\nb': 1, 'a\rb': 2 }), TS, opts);
    expect(r.line).toBe(`sensor.e,domain=sensor,entity_id=e state="heat",a\uFFFDb=1 ${NS}`);
    expect(r.problems).toEqual(['duplicate_field']);
  });

  it('refuses a time outside InfluxDB range', () => {
    for (const t of ['2262-04-12T00:00:00.000000+00:00', '0001-01-01T00:00:00.000000+00:00']) {
      expect(encodeHaCompatible({ ...st('1'), last_updated: t }, t, opts)).toEqual({ problems: ['bad_timestamp'] });
    }
  });
});
