import { describe, expect, it } from 'vitest';
import { prng } from '../../dev/ha-sim/demo-driver.js';
import { globMatch, type GlobMeter } from './glob.js';

// What the add-ons did before: the glob compiled to an anchored RegExp. The reference for equivalence only.
const oldRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );

describe('globMatch', () => {
  it.each([
    ['sensor.*_battery', 'sensor.phone_battery', true],
    ['sensor.*_battery', 'sensor._battery', true],
    ['sensor.*_battery', 'sensor.phone_battery_level', false],
    ['sensor.*_battery', 'binary_sensor.phone_battery', false],
    ['light.kitchen_?', 'light.kitchen_1', true],
    ['light.kitchen_?', 'light.kitchen_', false],
    ['light.kitchen_?', 'light.kitchen_12', false],
    ['sensor.a', 'sensor.a', true],
    ['sensor.a', 'sensor_a', false], // `.` is itself, not any character
    ['sensor.a', 'Sensor.a', false],
    ['*', '', true],
    ['*', 'anything.at_all', true],
    ['**', 'x', true],
    ['', '', true],
    ['', 'x', false],
    ['?', '', false],
    ['?', 'é', true],
    ['?', '😀', false], // two UTF-16 code units, as the RegExp without the u flag saw it
    ['??', '😀', true],
    ['*?', '', false],
    ['*?', 'a', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['*ab', 'aab', true],
    ['*aab', 'aaab', true],
    ['*a?c*', 'xxabxabcyy', true],
    ['*a?c*', 'xxabxacyy', false],
    ['a*', 'ba', false],
    ['*a', 'ab', false],
    ['a+b(c)[d]{1}|^$\\', 'a+b(c)[d]{1}|^$\\', true],
    ['a.*', 'a\nb', false], // the RegExp `.` never matched a line break
    ['a\n*', 'a\nb', true],
    ['*\r?', 'x\ry', true],
    ['*', '\n', false],
  ])('%j against %j → %s', (glob, text, want) => {
    expect(globMatch(glob, text)).toBe(want);
    expect(oldRegExp(glob).test(text)).toBe(want);
  });

  it('agrees with the old RegExp form on random globs and ids', () => {
    const rnd = prng(20240611);
    const pick = (alphabet: string, max: number) =>
      Array.from({ length: Math.floor(rnd() * (max + 1)) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(
        '',
      );
    let matched = 0;
    for (let i = 0; i < 20_000; i += 1) {
      // Few letters, so globs hit often; at most ~4 stars keeps the RegExp reference from backtracking for long.
      const glob = pick('ab._**?', 10);
      const text = pick(i % 10 === 0 ? 'ab._\n' : 'ab._', 14);
      const want = oldRegExp(glob).test(text);
      if (globMatch(glob, text) !== want)
        expect.fail(`${JSON.stringify(glob)} against ${JSON.stringify(text)}: want ${want}`);
      if (want) matched += 1;
    }
    expect(matched).toBeGreaterThan(1000);
  });

  it('stays within glob × text steps on globs that made the RegExp backtrack exponentially', () => {
    const id = `sensor.living_room_${'a'.repeat(41)}`;
    expect(id).toHaveLength(60);
    for (const glob of [
      `${'*?'.repeat(8)}x`,
      `${'*?'.repeat(127)}x`,
      `${'*a'.repeat(30)}x`,
      `*${'a'.repeat(40)}b`,
      `${'?*'.repeat(100)}`,
    ]) {
      const meter: GlobMeter = { steps: 0 };
      globMatch(glob, id, meter);
      expect(meter.steps, glob).toBeLessThanOrEqual((glob.length + 1) * (id.length + 1));
    }
    // The reviewer's case, for 10,000 ids: each takes about as many steps as the id has characters.
    const meter: GlobMeter = { steps: 0 };
    for (let i = 0; i < 10_000; i += 1)
      expect(globMatch(`${'*?'.repeat(8)}x`, `${id.slice(0, 55)}${String(i).padStart(5, '0')}`, meter)).toBe(false);
    expect(meter.steps).toBeLessThanOrEqual(10_000 * 3 * 60);
  });
});
