import { describe, expect, it } from 'vitest';
import { looksLikeContainer, parsePythonLiteral } from './python-literal.js';

describe("Python's repr of attribute values back to JSON data", () => {
  it('reads what str() prints for lists, tuples, sets, dicts, strings and numbers', () => {
    expect(parsePythonLiteral("['home', 'away', 'night']")).toEqual(['home', 'away', 'night']);
    expect(parsePythonLiteral('(255, 0, 10)')).toEqual([255, 0, 10]);
    expect(parsePythonLiteral('(1,)')).toEqual([1]);
    expect(parsePythonLiteral('{1, 2}')).toEqual([1, 2]);
    expect(parsePythonLiteral('set()')).toEqual([]);
    expect(parsePythonLiteral("{'a': 1, 'b': [True, False, None], 2: -1.5e-3}")).toEqual({
      a: 1,
      b: [true, false, null],
      2: -0.0015,
    });
    expect(parsePythonLiteral(`["it's", 'say "hi"', 'tab\\there', '\\xe9\\u20ac\\U0001F600', 'a\\\\b']`)).toEqual([
      "it's",
      'say "hi"',
      'tab\there',
      'é€😀',
      'a\\b',
    ]);
    expect(parsePythonLiteral('[1_000, 0.5, .5, 1.]')).toEqual([1000, 0.5, 0.5, 1]);
    expect(parsePythonLiteral('[]')).toEqual([]);
    expect(parsePythonLiteral('{}')).toEqual({});
  });

  it('refuses what is not plain data, and anything malformed, without throwing', () => {
    for (const t of [
      'datetime.datetime(2026, 1, 1, 0, 0)',
      "[<HVACMode.OFF: 'off'>]",
      '[inf]',
      '[nan]',
      "['a'",
      "['a'] x",
      '{[1]: 2}',
      "{'a' 1}",
      '[1j]',
      "'\\N{BULLET}'",
      '['.repeat(100) + ']'.repeat(100),
    ])
      expect(parsePythonLiteral(t), t).toBeUndefined();
  });

  it('a key called __proto__ stays a key', () => {
    const v = parsePythonLiteral("{'__proto__': {'x': 1}}") as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect((v as { x?: unknown }).x).toBeUndefined();
    expect(JSON.stringify(v)).toBe('{"__proto__":{"x":1}}');
  });

  it('only texts shaped like a container are worth trying', () => {
    expect(looksLikeContainer('[1]')).toBe(true);
    expect(looksLikeContainer('(a)')).toBe(true);
    expect(looksLikeContainer('{}')).toBe(true);
    expect(looksLikeContainer('[1')).toBe(false);
    expect(looksLikeContainer('Kitchen')).toBe(false);
    expect(looksLikeContainer('')).toBe(false);
  });
});
