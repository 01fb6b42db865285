import { describe, expect, it } from 'vitest';
import { parseCsvRecords, parseFluxCsv } from '../../homeiq-admin/src/influx/csv.js';
import { externParams } from '../../homeiq-admin/src/influx/flux.js';

describe('Flux helpers', () => {
  it('passes parameters as literal nodes of a Flux AST, never as query text', () => {
    const hostile = 'sensor.x") |> drop(columns: ["_value"]) //';
    const ast = externParams({ entity: hostile, n: 3, f: 1.5, b: true }) as {
      body: Array<{ assignment: { id: { name: string }; init: { properties: unknown[] } } }>;
    };
    const a = ast.body[0]?.assignment;
    expect(a?.id.name).toBe('params');
    expect(a?.init.properties).toEqual([
      {
        type: 'Property',
        key: { type: 'Identifier', name: 'entity' },
        value: { type: 'StringLiteral', value: hostile },
      },
      { type: 'Property', key: { type: 'Identifier', name: 'n' }, value: { type: 'IntegerLiteral', value: '3' } },
      { type: 'Property', key: { type: 'Identifier', name: 'f' }, value: { type: 'FloatLiteral', value: 1.5 } },
      { type: 'Property', key: { type: 'Identifier', name: 'b' }, value: { type: 'BooleanLiteral', value: true } },
    ]);
  });

  it('parses CSV with quotes, commas and newlines inside fields', () => {
    expect(parseCsvRecords('a,"b,c","d ""e""\nf"\r\n1,2,3\n')).toEqual([
      ['a', 'b,c', 'd "e"\nf'],
      ['1', '2', '3'],
    ]);
  });

  it('parses a Flux answer with several tables and yields', () => {
    const csv =
      ',result,table,_value,entity_id\n,counts,0,4,sensor.a\n,counts,1,2,sensor.b\n\n,result,table,_time,_value,entity_id\n,lasts,0,2026-01-01T00:00:00Z,"on, off",sensor.a\n\n';
    expect(parseFluxCsv(csv)).toEqual([
      { result: 'counts', _value: '4', entity_id: 'sensor.a' },
      { result: 'counts', _value: '2', entity_id: 'sensor.b' },
      { result: 'lasts', _time: '2026-01-01T00:00:00Z', _value: 'on, off', entity_id: 'sensor.a' },
    ]);
  });
});
