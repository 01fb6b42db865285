import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FluxQueryError, fluxExact, parseCsvRecords, parseFluxCsv, readFluxTables, unescapeExact } from './flux-csv.js';

// Answers below are byte for byte what influxd 2.9 sends (CRLF line ends, an empty line after each table).

describe('parseCsvRecords', () => {
  it('reads quotes, commas and line ends inside fields', () => {
    expect(parseCsvRecords('a,"b,c","d ""e""\r\nf"\r\n1,2,3\n')).toEqual([
      ['a', 'b,c', 'd "e"\nf'],
      ['1', '2', '3'],
    ]);
  });

  it('keeps empty fields, a lone \\r and a last record without a line end', () => {
    expect(parseCsvRecords(',,\r\na\rb,""\r\nx')).toEqual([['', '', ''], ['a\rb', ''], ['x']]);
    expect(parseCsvRecords('"a\rb"\r\n')).toEqual([['a\rb']]);
    expect(parseCsvRecords('')).toEqual([]);
  });

  it('keeps text after a closing quote instead of losing it', () => {
    expect(parseCsvRecords('"a"b,c\r\n')).toEqual([['ab', 'c']]);
  });

  /** A record as Flux writes it (Go's encoding/csv with CRLF): quoted when needed, `""` for `"`, `\n` as `\r\n`. */
  const goCsv = (records: string[][]): string =>
    records
      .map((r) =>
        r.map((f) => (/[",\n]|^ /.test(f) ? `"${f.replaceAll('"', '""').replaceAll('\n', '\r\n')}"` : f)).join(','),
      )
      .map((line) => `${line}\r\n`)
      .join('');

  it('reads back every record Flux writes (property-based, seeded)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', ' ', ',', '"', '\n', 'é', '\u{1F600}'), maxLength: 12 });
    // A record of one empty field is an empty line (a table separator), not a record: Flux never writes one.
    const record = fc.array(field, { minLength: 1, maxLength: 6 }).filter((r) => r.length > 1 || r[0] !== '');
    fc.assert(
      fc.property(fc.array(record, { maxLength: 6 }), (records) => {
        expect(parseCsvRecords(goCsv(records))).toEqual(records);
      }),
      { seed: 4180, numRuns: 2000 },
    );
  });

  it('reads a field of many line ends or quotes, and a record of many quoted fields, in one pass', () => {
    // Each would be searched again from every line end, quote or field by a reader that does not remember where
    // the next one is: ~10^12 characters scanned here, minutes, past the test's timeout.
    const lines = 'a\n'.repeat(2 << 20);
    const quotes = 'a"'.repeat(2 << 20);
    const many = Array.from({ length: 200_000 }, (_, i) => `v,${i}`);
    const got = parseCsvRecords(goCsv([[lines, 'x'], [quotes, 'y'], many]));
    expect(got.length).toBe(3);
    expect(got[0]?.[0] === lines && got[1]?.[0] === quotes, 'the long fields').toBe(true);
    expect(got[2]?.length === many.length && got[2].every((f, i) => f === many[i]), 'the quoted fields').toBe(true);
  });
});

describe('readFluxTables / parseFluxCsv', () => {
  const plain =
    ',result,table,_value,entity_id\r\n,counts,0,4,sensor.a\r\n,counts,1,2,sensor.b\r\n\r\n' +
    ',result,table,_time,_value,entity_id\r\n,lasts,0,2026-01-01T00:00:00Z,"on, off",sensor.a\r\n\r\n';

  it('reads several tables and yields, without annotations', () => {
    expect(parseFluxCsv(plain)).toEqual([
      { result: 'counts', _value: '4', entity_id: 'sensor.a' },
      { result: 'counts', _value: '2', entity_id: 'sensor.b' },
      { result: 'lasts', _time: '2026-01-01T00:00:00Z', _value: 'on, off', entity_id: 'sensor.a' },
    ]);
    expect(readFluxTables(plain).map((t) => [t.result, t.table, t.rows.length])).toEqual([
      ['counts', '0', 1],
      ['counts', '1', 1],
      ['lasts', '0', 1],
    ]);
  });

  it('reads annotations: types, group key, and defaults for empty cells (the result name)', () => {
    const csv =
      '#datatype,string,long,dateTime:RFC3339,double,string\r\n#group,false,false,false,false,true\r\n' +
      '#default,_result,,,,\r\n,result,table,_time,_value,entity_id\r\n' +
      ',,0,2026-01-01T00:00:00Z,21.5,sensor.a\r\n,,1,2026-01-01T00:00:01Z,3,sensor.b\r\n\r\n';
    const [t] = readFluxTables(csv);
    expect(t?.columns).toEqual([
      { name: '_time', type: 'dateTime:RFC3339', group: false, default: '' },
      { name: '_value', type: 'double', group: false, default: '' },
      { name: 'entity_id', type: 'string', group: true, default: '' },
    ]);
    expect(parseFluxCsv(csv)).toEqual([
      { result: '_result', _time: '2026-01-01T00:00:00Z', _value: '21.5', entity_id: 'sensor.a' },
      { result: '_result', _time: '2026-01-01T00:00:01Z', _value: '3', entity_id: 'sensor.b' },
    ]);
  });

  it('returns nothing for an empty answer', () => {
    expect(parseFluxCsv('')).toEqual([]);
    expect(parseFluxCsv('\r\n')).toEqual([]);
  });

  it('throws the error table (with and without annotations), also after a partial answer', () => {
    const err = ',error,reference\r\n,"runtime error @1:1-1:2: boom, really",897\r\n';
    expect(() => parseFluxCsv(err)).toThrow(FluxQueryError);
    expect(() => parseFluxCsv(err)).toThrow('runtime error @1:1-1:2: boom, really');
    try {
      parseFluxCsv(`${plain}\r\n${err}`);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FluxQueryError);
      expect((e as FluxQueryError).reference).toBe('897');
    }
    const annotated = '#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,bad,\r\n';
    expect(() => parseFluxCsv(annotated)).toThrow('bad');
  });

  it('gives back a stored \\n (sent as \\r\\n) exactly, and every string exactly through fluxExact', () => {
    // Stored: a\nb (Flux sends a\r\nb).
    expect(parseFluxCsv(',result,table,_value\r\n,_result,0,"a\r\nb"\r\n')[0]?.['_value']).toBe('a\nb');
    // Stored: x\y CR LF z CR w LF q" — escaped by fluxExact, written by Flux (\n → \r\n), read back.
    const sent = ',result,table,_value\r\n,_result,0,"x\\\\y\\r\r\nz\\rw\r\nq"""\r\n\r\n';
    expect(parseFluxCsv(sent, { exact: ['_value'] })[0]?.['_value']).toBe('x\\y\r\nz\rw\nq"');
  });

  it('unescapeExact undoes only its own two escapes', () => {
    expect(unescapeExact('\\\\r')).toBe('\\r');
    expect(unescapeExact('\\r\\\\')).toBe('\r\\');
    expect(unescapeExact('a\\nb\\')).toBe('a\\nb\\');
  });

  it('fluxExact accepts plain column names only', () => {
    expect(fluxExact()).toContain('r._value');
    expect(() => fluxExact('a") |> drop(')).toThrow(/not a plain column name/);
  });
});
