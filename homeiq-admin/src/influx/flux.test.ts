import { describe, expect, it } from 'vitest';
import { externParams } from './flux.js';

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
});
