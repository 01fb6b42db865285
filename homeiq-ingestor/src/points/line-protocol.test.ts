import { describe, expect, it } from 'vitest';
import {
  encodeFieldValue,
  encodePoint,
  escapeKey,
  escapeMeasurement,
  isoToNs,
  quoteString,
  type Point,
} from './line-protocol.js';

const T = '1788256860123456000';
const point = (p: Partial<Point>): Point => ({
  measurement: 'sensor',
  tags: {},
  fields: { state: { type: 'string', value: 'x' } },
  timestampNs: T,
  ...p,
});

/**
 * Splits a line the way InfluxDB's scanners do (models/points.go): `\\` + any byte is skipped, quotes matter only
 * in field values (after an unescaped `=`). Returns [series, fields, time].
 */
function sections(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let inFields = false;
  let equals = 0;
  let commas = 0;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i] as string;
    if (c === '\\') {
      cur += c + (line[i + 1] ?? '');
      i += 1;
      continue;
    }
    if (inFields && c === '"' && equals > commas) quoted = !quoted;
    else if (inFields && !quoted && c === '=') equals += 1;
    else if (inFields && !quoted && c === ',') commas += 1;
    if (c === ' ' && !quoted) {
      out.push(cur);
      cur = '';
      inFields = out.length === 1;
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

describe('escaping', () => {
  it('escapes commas and spaces in measurements, and nothing else', () => {
    expect(escapeMeasurement('my measurement,x=y')).toBe('my\\ measurement\\,x=y');
    expect(escapeMeasurement('')).toBeUndefined();
  });

  it('escapes commas, equals signs and spaces in keys and tag values', () => {
    expect(escapeKey('a b,c=d')).toBe('a\\ b\\,c\\=d');
    expect(escapeKey('')).toBeUndefined();
  });

  it('replaces control characters and backslashes, which InfluxDB cannot carry unambiguously in keys', () => {
    expect(escapeKey('a\nb\rc\u0000d\u007f')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFD');
    expect(escapeKey('ends\\')).toBe('ends\u29F5');
    expect(escapeKey('a\\,b')).toBe('a\u29F5\\,b');
    expect(escapeMeasurement('m\\')).toBe('m\u29F5');
  });

  it('never lets a measurement start a comment line', () => {
    expect(escapeMeasurement('#comment')).toBe('\uFFFDcomment');
  });

  it('quotes strings escaping only double quotes and backslashes', () => {
    expect(quoteString('say "hi" \\ there')).toBe('"say \\"hi\\" \\\\ there"');
    expect(quoteString('line1\nline2')).toBe('"line1\nline2"');
    expect(quoteString('ends\\')).toBe('"ends\\\\"');
  });

  it('keeps unicode as is', () => {
    expect(escapeKey('°C')).toBe('°C');
    expect(quoteString('温度 🌡')).toBe('"温度 🌡"');
  });
});

describe('field values', () => {
  it('encodes floats, ints, bools and strings', () => {
    expect(encodeFieldValue({ type: 'float', value: 21.5 })).toBe('21.5');
    expect(encodeFieldValue({ type: 'float', value: 1e21 })).toBe('1e+21');
    expect(encodeFieldValue({ type: 'float', value: -0 })).toBe('0');
    expect(encodeFieldValue({ type: 'int', value: 42 })).toBe('42i');
    expect(encodeFieldValue({ type: 'int', value: 9223372036854775807n })).toBe('9223372036854775807i');
    expect(encodeFieldValue({ type: 'bool', value: true })).toBe('true');
    expect(encodeFieldValue({ type: 'string', value: 'on' })).toBe('"on"');
  });

  it('refuses values with no line-protocol form', () => {
    expect(encodeFieldValue({ type: 'float', value: Number.NaN })).toBeUndefined();
    expect(encodeFieldValue({ type: 'float', value: Number.POSITIVE_INFINITY })).toBeUndefined();
    expect(encodeFieldValue({ type: 'float', value: Number.NEGATIVE_INFINITY })).toBeUndefined();
    expect(encodeFieldValue({ type: 'int', value: 1.5 })).toBeUndefined();
    expect(encodeFieldValue({ type: 'int', value: 2n ** 63n })).toBeUndefined();
  });
});

describe('encodePoint', () => {
  it('writes measurement, sorted tags, fields and the timestamp', () => {
    const line = encodePoint(
      point({
        tags: { entity_id: 'sensor.t', domain: 'sensor', unit: '°C', device_class: undefined, empty: '' },
        fields: { state: { type: 'string', value: '21.5' }, value: { type: 'float', value: 21.5 } },
      }),
    );
    expect(line).toBe(`sensor,domain=sensor,entity_id=sensor.t,unit=°C state="21.5",value=21.5 ${T}`);
  });

  it('drops unencodable fields and a point left with none', () => {
    expect(
      encodePoint(point({ fields: { a: { type: 'float', value: Number.NaN }, b: { type: 'float', value: 1 } } })),
    ).toBe(`sensor b=1 ${T}`);
    expect(encodePoint(point({ fields: { a: { type: 'float', value: Number.NaN } } }))).toBeUndefined();
    expect(encodePoint(point({ fields: { time: { type: 'float', value: 1 } } }))).toBeUndefined();
    expect(encodePoint(point({ fields: { '': { type: 'float', value: 1 } } }))).toBeUndefined();
    expect(encodePoint(point({ measurement: '' }))).toBeUndefined();
    expect(encodePoint(point({ timestampNs: '12a' }))).toBeUndefined();
  });

  it('skips reserved tag keys', () => {
    expect(encodePoint(point({ tags: { _field: 'x', _measurement: 'y', time: 'z', ok: 'v' } }))).toBe(
      `sensor,ok=v state="x" ${T}`,
    );
  });

  const hostile = [
    'plain',
    'with space',
    'comma,here',
    'equals=here',
    'quote"here',
    "single'quote",
    'back\\slash',
    'trailing\\',
    '\\\\double',
    'new\nline',
    'carriage\rreturn',
    'tab\there',
    'nul\u0000byte',
    ' lead and trail ',
    '=,\\ "',
    'x=1 y=2 3',
    'evil,tag=1 field=2 123\nnext,line=1 v=1',
    '°C ünïcødé 🌡',
    '#not a comment',
    '"""',
    'a'.repeat(100_000),
  ];

  it.each(hostile)('cannot be injected through a tag value, field key or string value: %j', (h) => {
    const line = encodePoint(
      point({
        measurement: h,
        tags: { entity_id: h, [h]: 'k' },
        fields: { [h]: { type: 'string', value: h }, v: { type: 'float', value: 1 } },
      }),
    ) as string;
    expect(line).toBeDefined();
    // No raw newline outside the quoted string value, exactly three sections, and the timestamp last.
    const s = sections(line);
    expect(s).toHaveLength(3);
    expect(s[2]).toBe(T);
    expect(s[0]).not.toMatch(/[\n\r]/);
    // The series part has exactly the two tags we wrote (unescaped commas delimit tags).
    expect(s[0]?.split(/(?<!\\),/)).toHaveLength(3);
    // The field part has exactly two fields: the string and v=1.
    expect(s[1]?.endsWith(',v=1')).toBe(true);
  });
});

describe('isoToNs', () => {
  it('keeps HA microseconds exactly', () => {
    expect(isoToNs('2026-09-01T10:01:00.123456+00:00')).toBe('1788256860123456000');
    expect(isoToNs('2026-09-01T10:01:00.123456Z')).toBe('1788256860123456000');
    expect(isoToNs('2026-09-01T10:01:00+00:00')).toBe('1788256860000000000');
    expect(isoToNs('2026-09-01T10:01:00.000000001Z')).toBe('1788256860000000001');
  });

  it('applies the offset', () => {
    expect(isoToNs('2026-09-01T12:01:00.123456+02:00')).toBe('1788256860123456000');
    expect(isoToNs('2026-09-01T05:31:00.5-0430')).toBe('1788256860500000000');
  });

  it('rejects what is not an ISO timestamp', () => {
    for (const bad of [
      '',
      'yesterday',
      '2026-13-01T00:00:00Z',
      '2026-09-01T10:01:00',
      '2026-09-01T25:00:00Z',
      '1788256860',
    ]) {
      expect(isoToNs(bad)).toBeUndefined();
    }
  });
});
