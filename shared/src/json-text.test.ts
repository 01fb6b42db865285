import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasEscapedKey, jsonParseHasKeyBug, parseJson, parseJsonStrict } from './json-text.js';

/** Keys and strings full of what needs escaping, and what the V8 bug mixes up. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('\\', '\n', '"', '\u001f', 'A', '\r', '\\\\', '__proto__', '0', '1', 'a\\', ''),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nasty,
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)), // JSON has no -0
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nasty, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;

describe('V8 JSON.parse escaped-key bug', () => {
  it('this runtime is checked directly (the regression test reproduces the bug where the runtime has it)', () => {
    // Reproduce it in a shape of our own: after `{"<p>":0,"\\":1}`, `{"<p>":0,"\n":1}` reads its key as `\`.
    JSON.parse('{"json-text-test":0,"\\\\":1}');
    const native = Object.keys(JSON.parse('{"json-text-test":0,"\\n":1}') as object)[1];
    const major = Number(process.versions.node.split('.')[0]);
    // Node 24 and 26 have it (V8 13.6 / 14.6); the self-check must agree with what we just saw.
    expect(jsonParseHasKeyBug()).toBe(native !== '\n');
    if (major === 24) expect(native, 'Node 24 is known to have the bug; has V8 fixed it?').toBe('\\');
    // The product's reader is immune in the very state that broke JSON.parse.
    expect(Object.keys(parseJson('{"json-text-test":0,"\\n":1}') as object)).toEqual(['json-text-test', '\n']);
    expect(Object.keys(parseJson('{"json-text-test":0,"\\"":1,"\\u0041":2}') as object)).toEqual([
      'json-text-test',
      '"',
      'A',
    ]);
  });

  it('keeps every key exactly, interleaved with the poisoning shapes (property-based, seeded)', () => {
    fc.assert(
      fc.property(fc.dictionary(nasty, json, { maxKeys: 6, noNullPrototype: true }), (v) => {
        JSON.parse('{"\\\\":1}'); // poison the plain object shape before every sample
        const text = JSON.stringify(v);
        expect(parseJson(text)).toStrictEqual(v);
        expect(Object.keys(parseJson(text) as object)).toEqual(Object.keys(v));
      }),
      { seed: 11, numRuns: 2000 },
    );
  });
});

describe('parseJsonStrict', () => {
  it('reads what JSON.stringify writes, exactly (property-based, seeded)', () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(parseJsonStrict(JSON.stringify(v))).toStrictEqual(v);
      }),
      { seed: 7, numRuns: 3000 },
    );
  });

  it('matches JSON.parse on escapes, numbers, whitespace, duplicates and __proto__', () => {
    const cases = [
      ' { "a" : [ 1 , -0 , 1.5e3 , -2E-2 , true , false , null ] } ',
      '"\\ud83d\\ude00 \\ud83d \\u00e9\\/\\b\\f\\t"',
      '{"a":1,"b":2,"a":3}',
      '{"1":1,"b":2,"0":0}',
      '{"__proto__":{"x":1}}',
      '[[[[[]]]],{}]',
      '0',
      '"\u2028"',
    ];
    for (const c of cases) expect(parseJsonStrict(c)).toStrictEqual(JSON.parse(c));
    const proto = parseJsonStrict('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });

  it('rejects what JSON.parse rejects', () => {
    const bad = [
      '',
      '{',
      '[1,]',
      '{"a":1,}',
      '{"a" 1}',
      '01',
      '1.',
      '-',
      '"\\x"',
      '"\\u12"',
      '"a\nb"',
      '"abc',
      'tru',
      '[1] 2',
      '{a:1}',
      "'a'",
      'NaN',
    ];
    for (const b of bad) {
      expect(() => JSON.parse(b), b).toThrow(SyntaxError);
      expect(() => parseJsonStrict(b), b).toThrow(SyntaxError);
      expect(() => parseJson(b), b).toThrow(SyntaxError);
    }
  });

  it('reads nesting far deeper than a recursive reader could', () => {
    const depth = 200_000;
    const v = parseJsonStrict(`${'['.repeat(depth)}"\\n"${']'.repeat(depth)}`);
    let d = 0;
    let x: unknown = v;
    while (Array.isArray(x)) {
      x = x[0];
      d += 1;
    }
    expect([d, x]).toEqual([depth, '\n']);
  });
});

describe('hasEscapedKey', () => {
  it('finds a key with an escape, and only that', () => {
    expect(hasEscapedKey('{"a":"b"}')).toBe(false);
    expect(hasEscapedKey('{"a":"b\\n","c":["\\"x\\"",1]}')).toBe(false);
    expect(hasEscapedKey('{"a":"\\":"}')).toBe(false); // `\":` inside a value
    expect(hasEscapedKey('{"a\\n" :1}')).toBe(true);
    expect(hasEscapedKey('{"x":"\\\\","\\"":1}')).toBe(true);
    expect(hasEscapedKey('[{"k":"v\\\\"},{"\\u0041":1}]')).toBe(true);
  });

  it('agrees with a full parse on generated texts', () => {
    fc.assert(
      fc.property(json, (v) => {
        const text = JSON.stringify(v);
        const keys: string[] = [];
        const walk = (x: unknown): void => {
          if (Array.isArray(x)) x.forEach(walk);
          else if (x !== null && typeof x === 'object')
            for (const [k, y] of Object.entries(x)) {
              keys.push(k);
              walk(y);
            }
        };
        walk(v);
        expect(hasEscapedKey(text)).toBe(keys.some((k) => JSON.stringify(k).includes('\\')));
      }),
      { seed: 3, numRuns: 3000 },
    );
  });
});
