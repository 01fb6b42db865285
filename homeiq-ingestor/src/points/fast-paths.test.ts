/** The encoding fast paths give exactly what the general encoders give; their caches are bounded. */
import { describe, expect, it } from 'vitest';
import { prng } from '../../../dev/ha-sim/demo-driver.js';
import { BoundedCache } from './bounded-cache.js';
import { floatText, isoToNs, isoToNsGeneral } from './line-protocol.js';
import { isoToMicros } from '../ha/history.js';
import { HaTimestamps } from './ha-time.js';
import { StateEncoder } from './state-encoder.js';
import {
  encodeState,
  encodeStateAsPoint,
  stateValue,
  stateValueText,
  type EncodeOptions,
  type EnrichmentTags,
  type HaState,
} from './state-to-points.js';

const HOSTILE = [
  '',
  'a,b',
  'a=b',
  'a b',
  'a"b',
  'a\\b',
  'x\ny',
  '\u0000\u001f\u007f',
  '#hash',
  'é😀',
  'ok',
  'x'.repeat(300),
  '=',
  ' ',
  ',',
];
const VALUES: unknown[] = [
  'on',
  '',
  'a "q", = \\ \n',
  1.5,
  -0,
  0,
  1e21,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  null,
  undefined,
  [1, 'x'],
  { k: { d: [1] } },
  'y'.repeat(120),
];

function opts(enrich?: (id: string) => EnrichmentTags | undefined): EncodeOptions {
  return { maxStringLength: 100, excludeAttributes: new Set(['skip_me']), layout: 'homeiq', enrich };
}

describe('encodeState fast path', () => {
  it('writes the same line and problems as the Point encoder, for hostile ids, keys, values and tags', () => {
    let n = 0;
    for (const id of ['sensor.ok', 'Sensor.Bad id', 'no_dot', 'sensor.a,b=c d', '#x.y', `sensor.${'z'.repeat(300)}`]) {
      for (const key of HOSTILE) {
        for (const v of VALUES) {
          for (const enrich of [
            undefined,
            (): EnrichmentTags => ({
              area: 'living room',
              floor: 'f,1',
              device: 'D="1"',
              device_id: 'x'.repeat(300),
              labels: 'a,b',
            }),
          ]) {
            const attrs: Record<string, unknown> = {
              [key]: v,
              device_class: key,
              unit_of_measurement: typeof v === 'string' ? v : 'W',
              skip_me: 1,
              friendly_name: 'N',
            };
            for (const state of ['21.5', 'on', 'x"y\\', 'unknown', 's'.repeat(150)]) {
              const st: HaState = {
                entity_id: id,
                state,
                attributes: attrs,
                last_updated: '2026-11-24T10:00:01.123456+00:00',
              };
              expect(encodeState(st, opts(enrich))).toEqual(encodeStateAsPoint(st, opts(enrich)));
              n += 1;
            }
          }
        }
      }
    }
    expect(n).toBeGreaterThan(1000);
  });
  it('notices a changed device_class, unit or registry tag of a cached entity', () => {
    const st = (attrs: Record<string, unknown>): HaState => ({
      entity_id: 'sensor.cache_probe',
      state: '1',
      attributes: attrs,
      last_updated: '2026-11-24T10:00:01.000001+00:00',
    });
    let tags: EnrichmentTags = { area: 'kitchen' };
    const o = opts(() => tags);
    const enc = new StateEncoder(o);
    expect(enc.encode(st({ unit_of_measurement: 'W' })).line).toContain(',area=kitchen,');
    expect(enc.encode(st({ unit_of_measurement: 'kW' })).line).toContain(',unit=kW ');
    tags = { area: 'hall' };
    expect(enc.encode(st({ unit_of_measurement: 'kW', device_class: 'power' })).line).toBe(
      encodeStateAsPoint(st({ unit_of_measurement: 'kW', device_class: 'power' }), o).line,
    );
    const s = enc.cacheStats();
    expect(s.heads).toMatchObject({ size: 1, hits: 2, misses: 1 }); // found twice, but made afresh for each change
    expect(s.attributeKeys.size).toBeLessThanOrEqual(8_192);
  });
});

describe('isoToNs fast path', () => {
  it('agrees with the general parser', () => {
    const samples = [
      '2026-11-24T10:00:01.123456+00:00',
      '1970-01-01T00:00:00.000000+00:00',
      '1970-01-01T00:00:01.000001+00:00',
      '1969-12-31T23:59:59.999999+00:00',
      '2026-13-01T00:00:00.000000+00:00',
      '2026-02-30T00:00:00.000000+00:00',
      '2026-01-01T24:00:00.000000+00:00',
      '2026-01-01T00:60:00.000000+00:00',
      '2026-01-01T00:00:60.000000+00:00',
      '2026-01-01T00:00:61.000000+00:00',
      '0099-01-01T00:00:00.000000+00:00',
      '9999-12-31T23:59:59.999999+00:00',
      '2026-11-24T10:00:01.123456+01:00',
      '2026-11-24T10:00:01.123456Z',
      '2026-11-24T10:00:01+00:00',
      '2026-11-24 10:00:01.123456+00:00',
      'x',
    ];
    const times = new HaTimestamps();
    for (const s of samples) expect(isoToNs(s), s).toBe(isoToNsGeneral(s));
    // The cached parser, each sample read as µs then as ns (the pipeline then the encoder) and the other way round.
    for (const s of samples) {
      expect(times.micros(s), s).toBe(isoToMicros(s));
      expect(times.ns(s), s).toBe(isoToNsGeneral(s));
    }
    for (const s of samples) {
      expect(times.ns(s), s).toBe(isoToNsGeneral(s));
      expect(times.micros(s), s).toBe(isoToMicros(s));
    }
    // Minute changes back and forth (the parser caches the last minute), and an invalid minute between valid ones.
    for (const s of [
      '2026-11-24T10:01:59.000001+00:00',
      '2026-11-24T10:00:59.000001+00:00',
      '2026-11-24T10:01:00.000001+00:00',
      '2026-13-24T10:01:00.000001+00:00',
      '2026-11-24T10:01:00.000002+00:00',
    ]) {
      expect(times.ns(s), s).toBe(isoToNsGeneral(s));
      expect(times.micros(s), s).toBe(isoToMicros(s));
    }
  });
});

describe('BoundedCache', () => {
  it('keeps at most max entries, evicting the oldest, and counts hits, misses and evictions', () => {
    const c = new BoundedCache<number>(2, 8);
    c.set('a', 1);
    c.set('b', 2);
    c.set('a', 3); // update: no eviction
    c.set('c', 4); // evicts a (oldest inserted)
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')).toBe(2);
    expect(c.get('c')).toBe(4);
    c.set('too long a key', 5); // never cached
    expect(c.get('too long a key')).toBeUndefined();
    expect(c.stats()).toEqual({ size: 2, hits: 2, misses: 2, evictions: 1 });
    for (let i = 0; i < 1000; i += 1) c.set(`k${i}`, i);
    expect(c.stats().size).toBe(2);
    expect(c.stats().evictions).toBe(1001);
  });
});

describe('stateValueText (the state itself when it already is the number text)', () => {
  it('equals floatText(stateValue(s)) for many random numeric and near-numeric states', () => {
    const r = prng(7);
    const samples: string[] = [
      '0',
      '-0',
      '0.0',
      '-0.0',
      '00',
      '01',
      '1.',
      '.5',
      '+1',
      '1e3',
      '1E-7',
      '0.000001',
      '0.0000001',
      '-0.000001',
      '-0.0000001',
      '123456789012345',
      '1234567890123456',
      '0.123456789012345',
      '0.1234567890123456',
      '12345678901234.5',
      '999999999999999',
      '9007199254740993',
      '1e21',
      '100000000000000000000',
      '1000000000000000000000',
      'nan',
      'inf',
      'on',
      'off',
      'unknown',
      '',
      '-',
      '1.10',
      '1.0',
      '-12.50',
      'ON',
      'Off',
      'Home',
      'NOT_HOME',
      'Above_Horizon',
      'true',
      'False',
      'heat',
      'Heat',
      ' 1',
      '1 ',
      'İ',
      'ı',
      '\u0130n',
      'x1',
      '#1',
    ];
    for (let i = 0; i < 200_000; i += 1) {
      const mag = 10 ** Math.floor(r() * 30 - 12);
      const v = (r() - 0.3) * mag;
      const pick = Math.floor(r() * 6);
      samples.push(
        pick === 0
          ? v.toFixed(Math.floor(r() * 8))
          : pick === 1
            ? String(v)
            : pick === 2
              ? v.toPrecision(1 + Math.floor(r() * 20))
              : pick === 3
                ? String(Math.floor(v))
                : pick === 4
                  ? `${v.toFixed(2)}0`
                  : `0${Math.floor(r() * 1000)}`,
      );
    }
    for (const s of samples) {
      const v = stateValue(s);
      expect(stateValueText(s), s).toBe(v === undefined ? undefined : floatText(v));
    }
  });
});
