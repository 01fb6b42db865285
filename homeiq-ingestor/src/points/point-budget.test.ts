/**
 * The point budget (MAX_ATTRIBUTE_CHARS): a state of any size becomes one point of bounded size, with its state and
 * value, the attributes that fit (in order), and `dropped_attributes` for the rest. Both HomeIQ encoders (cached
 * and reference) agree on every state, whatever the cache holds; ha_compatible keeps its budget too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHaCompatible } from './ha-compatible.js';
import { StateEncoder } from './state-encoder.js';
import { MAX_ATTRIBUTE_CHARS } from './state-model.js';
import { encodeStateAsPoint, type EncodeOptions, type HaState } from './state-to-points.js';

const TS = '2026-11-24T10:00:01.123456+00:00';
const st = (attributes: Record<string, unknown>, state = '21.5'): HaState => ({
  entity_id: 'sensor.big',
  state,
  attributes,
  last_updated: TS,
});
const base: EncodeOptions = { maxStringLength: 16_384, excludeAttributes: new Set(), layout: 'homeiq' };

/** 15,000 attributes of 1,000 characters: the ~15 MB state that was once lost as "spool full". */
function huge(n = 15_000, len = 1000): Record<string, unknown> {
  const a: Record<string, unknown> = { friendly_name: 'Huge', unit_of_measurement: '°C' };
  for (let i = 0; i < n; i += 1) a[`a${i}`] = String(i % 10).repeat(len);
  return a;
}

describe('point budget', () => {
  it('keeps state, value, tags and the attributes that fit; marks how many were dropped', () => {
    const s = st(huge());
    const problems: string[] = [];
    const enc = new StateEncoder(base);
    const got = enc.encode(s, problems as never);
    expect(got).toEqual(encodeStateAsPoint(s, base));
    const line = got.line as string;
    expect(line.length).toBeLessThan(MAX_ATTRIBUTE_CHARS + 1000);
    expect(line).toMatch(/^sensor,domain=sensor,entity_id=sensor\.big,unit=°C state="21\.5",value=21\.5,/);
    expect(line).toContain('attr_friendly_name_str="Huge"');
    const kept = line.match(/,attr_a\d+_str=/g)?.length ?? 0;
    const dropped = Number(/,dropped_attributes=(\d+) /.exec(line)?.[1]);
    expect(kept).toBeGreaterThan(200);
    expect(kept + dropped).toBe(15_000);
    expect(got.problems).toEqual(['oversized_point']);
  });

  it('fast and reference encoders agree around the budget, through a warm cache (property-based, seeded)', () => {
    const opts: EncodeOptions = { ...base, maxStringLength: 40, maxAttributeChars: 120 };
    const value = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 6 }),
    );
    const name = fc.oneof(fc.constantFrom('a', 'b', 'c', 'unit_of_measurement', 'a\nb', 'a\rb'), fc.string());
    const enc = new StateEncoder(opts);
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(name, value, { maxKeys: 12, noNullPrototype: true }), { maxLength: 6 }),
        (seq) => {
          for (const attrs of seq) {
            const s = st(attrs);
            expect(enc.encode(s)).toEqual(encodeStateAsPoint(s, opts));
          }
        },
      ),
      { seed: 13, numRuns: 1500 },
    );
  });

  it('ha_compatible: the same budget, and a marker that does not take an attribute named like it', () => {
    const opts: EncodeOptions = { ...base, layout: 'ha_compatible' };
    const attrs: Record<string, unknown> = { dropped_attributes: 5, friendly_name: 'Huge' };
    for (let i = 0; i < 2000; i += 1) attrs[`a${i}`] = 'x'.repeat(1000); // text: numbers would be `a<i>=…` floats
    const got = encodeHaCompatible(st(attrs), TS, opts);
    const line = got.line as string;
    expect(line.length).toBeLessThan(MAX_ATTRIBUTE_CHARS + 1000);
    expect(line).toContain(' value=21.5,dropped_attributes=5,');
    const kept = line.match(/,a\d+_str=/g)?.length ?? 0;
    expect(kept + Number(/,dropped_attributes_=(\d+)/.exec(line)?.[1])).toBe(2000);
    expect(got.problems).toContain('oversized_point');
  });
});
