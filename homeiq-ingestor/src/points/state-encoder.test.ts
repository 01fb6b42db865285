/** The cached encoder (StateEncoder, AttributeText, the EventEncoder owning them) against the reference encoder. */
import { describe, expect, it } from 'vitest';
import { prng } from '../../../dev/ha-sim/demo-driver.js';
import type { HaEvent } from '../ha/messages.js';
import { AttributeText } from './attribute-text.js';
import { EventEncoder } from './event-encoder.js';
import { EntityFilter } from './filter.js';
import { encodeHaCompatible } from './ha-compatible.js';
import type { Problem } from './state-model.js';
import { StateEncoder } from './state-encoder.js';
import { encodeStateAsPoint, type EncodeOptions, type HaState } from './state-to-points.js';

const opts: EncodeOptions = { maxStringLength: 20, excludeAttributes: new Set(['skip_me']), layout: 'homeiq' };
const TS = '2026-11-24T10:00:01.123456+00:00';
const st = (attributes: Record<string, unknown>, entity_id = 'light.k', state = 'on'): HaState => ({
  entity_id,
  state,
  attributes,
  last_updated: TS,
});
const noFilter = new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] });

describe('StateEncoder with warm caches', () => {
  it('writes the same line and problems as the reference for long sequences of changing states', () => {
    const r = prng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const VALUES: unknown[] = [
      'a',
      'b',
      'x'.repeat(25),
      'q"\\,= \n',
      '',
      1,
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
      [1, 2],
      [1, 2, 3],
      [2, 1],
      ['x', null],
      [[1], { a: 1 }],
      { a: 1, b: 2 },
      { b: 2, a: 1 },
      { a: [1, 2] },
      { a: { b: 'y'.repeat(30) } },
      [],
      {},
      new Date(0),
      Object.assign(Object.create(null) as object, { a: 1 }),
      [undefined],
      { toJSON: () => 'custom' },
      JSON.parse('{"__proto__":{"a":1}}'),
      JSON.parse('{"__proto__":{"a":2}}'),
      { 2: 'b', 1: 'a' },
      Array.from({ length: 100 }, (_, i) => i),
    ];
    const NAMES = [
      'friendly_name',
      'brightness',
      'hs_color',
      'skip_me',
      'device_class',
      'unit_of_measurement',
      'a b,c=d"\\',
      'options',
    ];
    const enc = new StateEncoder(opts);
    let n = 0;
    for (let step = 0; step < 20_000; step += 1) {
      const id = pick(['light.k', 'light.l', 'sensor.x', 'Bad id,x=1']);
      const attrs: Record<string, unknown> = {};
      // Mostly the same names in the same order, sometimes one more, one fewer or reordered.
      const names =
        r() < 0.8 ? NAMES.slice(0, 5) : [...NAMES].sort(() => r() - 0.5).slice(0, Math.floor(r() * NAMES.length));
      for (const name of names) attrs[name] = r() < 0.7 ? VALUES[NAMES.indexOf(name) % VALUES.length] : pick(VALUES);
      const s = st(attrs, id, pick(['on', '21.5', 'y'.repeat(30)]));
      expect(enc.encode(s), `step ${step}`).toEqual(encodeStateAsPoint(s, opts));
      n += 1;
    }
    const stats = enc.cacheStats();
    expect(stats.attributes.reused).toBeGreaterThan(n); // the caches were used, not bypassed
    expect(stats.attributes.encoded).toBeGreaterThan(1000);
  });

  it('reuses the text of equal attributes: byte-identical line, same problems', () => {
    const enc = new StateEncoder(opts);
    const attrs = (): Record<string, unknown> => ({
      friendly_name: 'a very long friendly name',
      list: ['x', 'y'],
      obj: { k: 'z'.repeat(30) },
      n: Number.POSITIVE_INFINITY,
      ok: 1,
    });
    const first = enc.encode(st(attrs()));
    const before = enc.cacheStats().attributes;
    const second = enc.encode(st(attrs())); // equal values, new objects (as from JSON.parse)
    const after = enc.cacheStats().attributes;
    expect(second).toEqual(first);
    expect(second).toEqual(encodeStateAsPoint(st(attrs()), opts));
    expect(second.problems).toEqual(['truncated', 'truncated', 'unencodable_attribute']);
    expect(after.encoded).toBe(before.encoded);
    expect(after.reused - before.reused).toBe(5);
  });

  it('encodes afresh a changed array or object, and one mutated in place', () => {
    const enc = new StateEncoder(opts);
    const hs = [30, 50];
    const encoded = (): number => enc.cacheStats().attributes.encoded;
    enc.encode(st({ hs_color: hs, effect: { name: 'x' } }));
    let was = encoded();
    expect(enc.encode(st({ hs_color: [30, 51], effect: { name: 'x' } })).line).toContain(
      'attr_hs_color_json="[30,51]"',
    );
    expect(encoded() - was).toBe(1);
    was = encoded();
    expect(enc.encode(st({ hs_color: [30, 51], effect: { name: 'y' } })).line).toContain(
      'attr_effect_json="{\\"name\\":\\"y\\"}"',
    );
    expect(encoded() - was).toBe(1);
    // Same keys in another order: other JSON, so a miss.
    expect(enc.encode(st({ hs_color: [30, 51], effect: { name: 'y', z: 1 } })).line).toContain(
      '{\\"name\\":\\"y\\",\\"z\\":1}',
    );
    expect(enc.encode(st({ hs_color: [30, 51], effect: { z: 1, name: 'y' } })).line).toContain(
      '{\\"z\\":1,\\"name\\":\\"y\\"}',
    );
    // The very array object of the last state, mutated: compared with the copy taken, not with itself.
    enc.encode(st({ hs_color: hs }));
    hs[0] = 31;
    expect(enc.encode(st({ hs_color: hs })).line).toContain('attr_hs_color_json="[31,50]"');
  });

  it('notices attributes added, removed, renamed and reordered', () => {
    const enc = new StateEncoder(opts);
    for (const attrs of [
      { a: 1, b: 2 },
      { a: 1, b: 2, c: 3 },
      { a: 1, c: 3 },
      { c: 3, a: 1 },
      { a: 1, c: 4 },
      {},
      { a: 1, b: 2 },
      { a: null, b: 2 },
      { a: undefined, b: 2 },
      { skip_me: 1 },
      { skip_me: 2, a: 1 },
    ]) {
      expect(enc.encode(st(attrs)), JSON.stringify(attrs)).toEqual(encodeStateAsPoint(st(attrs), opts));
    }
  });

  it('encodes an entity with very many attributes without the cache, and right', () => {
    const enc = new StateEncoder(opts);
    const many = (k: number): Record<string, unknown> =>
      Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`a${i}`, i === 7 ? k : i]));
    for (const k of [1, 1, 2]) expect(enc.encode(st(many(k)))).toEqual(encodeStateAsPoint(st(many(k)), opts));
    expect(enc.cacheStats().attributes.reused).toBe(0);
  });

  it('keeps at most maxEntities entities, and per entity a bounded amount of text', () => {
    const text = new AttributeText({ maxStringLength: 100_000, excludeAttributes: new Set() }, 3);
    const problems: Problem[] = [];
    for (let i = 0; i < 10; i += 1) text.text(`sensor.e${i}`, { friendly_name: `E ${i}` }, problems);
    expect(text.stats().attributeTexts).toMatchObject({ size: 3, evictions: 7 });
    // A value beyond the budget is written right but never kept, so it is encoded again every time.
    const big = { a: 'x'.repeat(5000), b: 1 };
    const first = text.text('sensor.big', big, problems);
    const was = text.stats().attributes;
    expect(text.text('sensor.big', { ...big }, problems)).toBe(first);
    const now = text.stats().attributes;
    expect(now.encoded - was.encoded).toBe(1);
    expect(now.reused - was.reused).toBe(1);
    expect(problems).toEqual([]);
  });
});

describe('EventEncoder caches', () => {
  const changed = (s: HaState): HaEvent => ({
    event_type: 'state_changed',
    data: { entity_id: s.entity_id, old_state: null, new_state: s },
    time_fired: s.last_updated,
  });

  it('belong to the instance: two encoders share nothing', () => {
    const a = new EventEncoder(opts, noFilter, () => undefined);
    const b = new EventEncoder(opts, noFilter, () => undefined);
    a.encode(changed(st({ x: 1 })));
    a.encode(changed(st({ x: 1 })));
    expect(a.cacheStats().heads).toMatchObject({ size: 1, hits: 1, misses: 1 });
    expect(b.cacheStats().heads).toMatchObject({ size: 0, hits: 0, misses: 0 });
    expect(b.encode(changed(st({ x: 1 })))).toBe(a.encode(changed(st({ x: 1 }))));
  });

  it('ha_compatible layout: the same line as encodeHaCompatible, through the cached timestamps', () => {
    const enc = new EventEncoder({ ...opts, layout: 'ha_compatible' }, noFilter, () => undefined);
    for (const s of [
      st({ brightness: 3 }),
      st({ unit_of_measurement: 'W' }, 'sensor.p', '12'),
      { ...st({}), last_updated: '2026-11-24T10:00:01Z' },
    ]) {
      expect(enc.encode(changed(s))).toBe(encodeHaCompatible(s, s.last_updated, opts).line);
    }
  });
});
