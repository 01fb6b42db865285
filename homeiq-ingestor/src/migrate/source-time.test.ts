/** TimeReader, the migration's fast path for InfluxDB's times, answers exactly what the general parser answers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prng } from '../../../dev/ha-sim/demo-driver.js';
import { isoToNsGeneral } from '../points/line-protocol.js';
import { nsToIso } from './ha-schema.js';
import { TimeReader } from './source-time.js';

describe('TimeReader', () => {
  it('reads the times InfluxDB prints, with 0 to 9 fraction digits, a few per minute', () => {
    const times = new TimeReader();
    const rnd = prng(7);
    for (let i = 0; i < 2000; i += 1) {
      const ms = Date.UTC(1970, 0, 1) + Math.floor(rnd() * 60 * 365 * 86_400_000);
      const digits = Math.floor(rnd() * 10);
      const frac = String(Math.floor(rnd() * 1e9))
        .padStart(9, '0')
        .slice(0, digits);
      const t = `${new Date(ms).toISOString().slice(0, 19)}${digits ? `.${frac}` : ''}Z`;
      const ns = times.ns(t);
      expect(ns, t).toBe(isoToNsGeneral(t));
      expect(nsToIso(ns as string), t).toBe(
        nsToIso(BigInt(Math.floor(ms / 1000)) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'))),
      );
    }
  });

  it('leaves what it does not read itself to the general parser, and refuses what that refuses', () => {
    const times = new TimeReader();
    const cases: Array<[string, string | undefined]> = [
      ['2026-09-01T10:01:00.123456Z', '1788256860123456000'],
      ['2026-09-01T10:01:00Z', '1788256860000000000'],
      ['1970-01-01T00:00:00Z', '0'],
      ['1970-01-01T00:00:00.000000001Z', '1'],
      ['1969-12-31T23:59:59.5Z', '-500000000'],
      ['2026-09-01 10:01:00Z', '1788256860000000000'],
      ['2026-09-01T12:01:00+02:00', '1788256860000000000'],
      ['2026-12-31T23:59:60Z', '1798761600000000000'], // a leap second, as the general parser reads it
      // Not times: the general parser refuses each.
      ['2026-01-01T24:00:00Z', undefined],
      ['2026-01-01T23:60:00Z', undefined],
      ['2026-01-01T23:59:61Z', undefined],
      ['2026-01-01T23:59:65Z', undefined],
      ['2026-13-01T00:00:00Z', undefined],
      ['2026-01-01T00:00:00.Z', undefined],
      ['2026-01-01T00:00:00.1234567891Z', undefined],
      ['2026/01/01T00:00:00Z', undefined],
      ['2026-01-01T00:00:0aZ', undefined],
      ['2262-01-01T00:00:00Z', '9214646400000000000'],
      ['2262-04-12T00:00:00Z', undefined], // past InfluxDB's range
      ['', undefined],
    ];
    for (const [t, ns] of cases) {
      expect(isoToNsGeneral(t), t).toBe(ns);
      expect(times.ns(t), t).toBe(ns);
    }
  });

  it('gives the general answer for any string shaped like a time, whatever minute it read before', () => {
    // One reader for every run: what it kept of an earlier minute must never leak into a later answer.
    const times = new TimeReader();
    const template = '2026-09-01T10:01:00.123456789Z';
    const char = fc.constantFrom(...'0123456789-+:. TZz/a');
    const mutated = fc
      .tuple(fc.integer({ min: 1, max: template.length }), fc.array(fc.tuple(fc.nat(29), char), { maxLength: 4 }))
      .map(([len, edits]) => {
        const c = [...template.slice(0, len - 1), 'Z'];
        for (const [at, ch] of edits) if (at < c.length) c[at] = ch;
        return c.join('');
      });
    fc.assert(
      fc.property(mutated, (t) => {
        expect(times.ns(t), t).toBe(isoToNsGeneral(t));
      }),
      { numRuns: 5000 },
    );
  });
});
