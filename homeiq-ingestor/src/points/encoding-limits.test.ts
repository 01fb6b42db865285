/**
 * What InfluxDB cannot take, refused or made to fit before it reaches it (docs/INFLUXDB.md): timestamps outside
 * its range, keys beyond its key length, a field written twice in one line. Both HomeIQ encoders (the cached
 * StateEncoder and the reference) must agree on every case.
 */
import { describe, expect, it } from 'vitest';
import type { HaEvent } from '../ha/messages.js';
import { isoToMicros } from '../ha/history.js';
import { EventEncoder } from './event-encoder.js';
import { EntityFilter } from './filter.js';
import { HaTimestamps } from './ha-time.js';
import { isoToNs, isoToNsGeneral, isTimestampNs } from './line-protocol.js';
import { StateEncoder } from './state-encoder.js';
import { encodeStateAsPoint, splitEntityId, type EncodeOptions, type HaState } from './state-to-points.js';

const opts: EncodeOptions = { maxStringLength: 20, excludeAttributes: new Set(), layout: 'homeiq' };
const TS = '2026-11-24T10:00:01.123456+00:00';
const st = (attributes: Record<string, unknown>, last_updated = TS, entity_id = 'sensor.k'): HaState => ({
  entity_id,
  state: '1',
  attributes,
  last_updated,
});
const noFilter = new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] });

/** Both HomeIQ encoders, a cold and a warm cache: they must agree, and that agreed result is returned. */
function both(s: HaState, enc = new StateEncoder(opts)): ReturnType<typeof encodeStateAsPoint> {
  const want = encodeStateAsPoint(s, opts);
  expect(enc.encode(s)).toEqual(want);
  expect(enc.encode({ ...s, attributes: { ...s.attributes } })).toEqual(want);
  return want;
}

describe('timestamps outside InfluxDB range (±9223372036854775806 ns)', () => {
  const OUT = [
    '2262-04-11T23:47:16.854776+00:00', // 9223372036854776000
    '2262-04-12T00:00:00.000000+00:00', // 19 digits, but above the maximum
    '2286-11-20T17:46:40.000000+00:00', // 20 digits
    '1677-09-21T00:12:43.145224+00:00', // just below the minimum
    '0001-01-01T00:00:00.000000+00:00', // Date.UTC would read it as 1901
    '0050-01-01T00:00:00+00:00',
    '0099-12-31T23:59:59.999999+00:00',
  ];

  it('are refused by isoToNs, its general path and the cached parser', () => {
    const times = new HaTimestamps();
    for (const t of OUT) {
      expect(isoToNs(t), t).toBeUndefined();
      expect(isoToNsGeneral(t), t).toBeUndefined();
      expect(times.ns(t), t).toBeUndefined();
      expect(times.micros(t), t).toBe(isoToMicros(t));
    }
    expect(isoToNs('2262-04-11T23:47:16.854775+00:00')).toBe('9223372036854775000');
    expect(isoToNs('1677-09-21T00:12:43.145225+00:00')).toBe('-9223372036854775000');
    expect(times.ns('2262-04-11T23:47:16.854775+00:00')).toBe('9223372036854775000');
    expect(isoToNs('0100-03-01T00:00:00Z')).toBeUndefined();
  });

  it('are not timestamps encodePoint writes', () => {
    expect(isTimestampNs('9223372036854775806')).toBe(true);
    expect(isTimestampNs('-9223372036854775806')).toBe(true);
    expect(isTimestampNs('0999999999999999999')).toBe(true);
    expect(isTimestampNs('9223372036854775807')).toBe(false);
    expect(isTimestampNs('-9223372036854775807')).toBe(false);
    expect(isTimestampNs('9223372800000000000')).toBe(false);
  });

  it('are counted as bad_timestamp by every encoder, states and other events alike', () => {
    for (const t of OUT) {
      expect(both(st({}, t)), t).toEqual({ problems: ['bad_timestamp'] });
      for (const layout of ['homeiq', 'ha_compatible'] as const) {
        const enc = new EventEncoder({ ...opts, layout }, noFilter, () => undefined);
        expect(enc.encodeState(st({}, t)), t).toBeUndefined();
        expect(enc.encode({ event_type: 'call_service', data: {}, time_fired: t } as HaEvent)).toBeUndefined();
        expect(enc.stats().problems, `${layout} ${t}`).toEqual({ bad_timestamp: 2 });
      }
    }
  });
});

describe('attribute names InfluxDB cannot take as a key', () => {
  it('caps a field key at 255 characters of the name, with the marker, reported as truncated', () => {
    const r = both(st({ ['k'.repeat(70_000)]: 1, friendly_name: 'keep me' }));
    expect(r.line).toBe(
      `sensor,domain=sensor,entity_id=sensor.k state="1",value=1,attr_${'k'.repeat(255)}…[truncated\\ 69745\\ chars]_num=1,attr_friendly_name_str="keep me" 1795514401123456000`,
    );
    expect(r.problems).toEqual(['truncated']);
    const commas = both(st({ [','.repeat(33_000)]: 'x'.repeat(30) }));
    expect(commas.line?.length).toBeLessThan(800);
    expect(commas.problems).toEqual(['truncated', 'truncated']);
    // 255 characters: written whole.
    expect(both(st({ ['k'.repeat(255)]: true })).line).toContain(`,attr_${'k'.repeat(255)}_bool=true `);
  });

  it('keeps entity ids longer than HA allows (255) under the domain invalid, so the measurement stays short', () => {
    expect(splitEntityId(`sensor.${'z'.repeat(248)}`).valid).toBe(true);
    expect(splitEntityId(`${'a'.repeat(70_000)}.b`)).toMatchObject({ domain: 'invalid', valid: false });
    expect(both(st({}, TS, `${'a'.repeat(70_000)}.b`)).line?.length).toBeLessThan(400);
  });
});

describe('attribute names that clean to the same field key', () => {
  it('writes the first one and counts each other as duplicate_field', () => {
    const r = both(st({ 'a\nb': 1, 'a\rb': 2, 'a\u0000b': 3 }));
    expect(r.line).toBe(
      'sensor,domain=sensor,entity_id=sensor.k state="1",value=1,attr_a\uFFFDb_num=1 1795514401123456000',
    );
    expect(r.problems).toEqual(['duplicate_field', 'duplicate_field']);
    expect(both(st({ 'a\\b': 'x', 'a\u29F5b': 'y' })).line).toContain('attr_a\u29F5b_str="x" ');
    // Different types give different keys: no clash.
    expect(both(st({ 'a\nb': 1, 'a\rb': 'x' })).problems).toEqual([]);
    // Names cut to the same 255 characters and of the same length.
    const long = both(st({ [`${'k'.repeat(255)}\n1`]: 1, [`${'k'.repeat(255)}\n2`]: 2 }));
    expect(long.problems).toEqual(['truncated', 'truncated', 'duplicate_field']);
    expect(long.line?.match(/_num=/g)).toHaveLength(1);
  });

  it('agrees with the reference while names come and go on a cached entity', () => {
    const enc = new StateEncoder(opts);
    const seq: Array<Record<string, unknown>> = [
      { a: 1, 'a\nb': 1 },
      { a: 1, 'a\nb': 1, 'a\rb': 2 },
      { a: 1, 'a\nb': 1, 'a\rb': 2 },
      { a: 1, 'a\rb': 2 },
      { a: 1 },
      { a: 1 },
      { 'a\rb': 'x'.repeat(30), a: 2, 'a\nb': 'y' },
      { 'a\rb': null, 'a\nb': 1 },
      { 'a\rb': 5, 'a\nb': 1 },
      { a: 1, ['k'.repeat(300)]: 1 },
      { a: 1 },
      { a: 1, b: Number.NaN, 'a\nb': Number.NaN, 'a\rb': 2 },
      { a: 1, b: Number.NaN, 'a\nb': 3, 'a\rb': 2 },
      { a: 1 },
      { a: 1 },
      { a: 1 },
    ];
    for (const attrs of seq)
      expect(enc.encode(st(attrs)), JSON.stringify(attrs)).toEqual(encodeStateAsPoint(st(attrs), opts));
    expect(enc.cacheStats().attributes.reused).toBeGreaterThan(0);
  });
});

describe('arrays with their own toJSON', () => {
  it('are never taken for a plain array with the same elements', () => {
    const enc = new StateEncoder(opts);
    const hijack = Object.assign([1, 2], { toJSON: () => 'HIJACK' });
    for (const a of [[1, 2], hijack, [1, 2]])
      expect(enc.encode(st({ a }))).toEqual(encodeStateAsPoint(st({ a }), opts));
  });
});
