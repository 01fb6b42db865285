import type { FluxRow } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { EXPLORE_MAX_POINTS } from '../api-types.js';
import { buildCatalog } from './catalog.js';
import { entityFilter, rowEntityId } from './layouts.js';
import { bandsFromRows, stateFlux, valueFlux, valuesFromRows } from './series.js';

// Explore on both of the ingestor's layouts: rows as influxd answers the catalog's and the charts' queries.
const T = (s: number): string => new Date(Date.UTC(2025, 0, 1) + s * 1000).toISOString();
const us = (s: number): number => (Date.UTC(2025, 0, 1) + s * 1000) * 1000;
const homeiq = (id: string, field: string, value: string, at: number, tags: FluxRow = {}): FluxRow => ({
  result: 'last',
  _time: T(at),
  _field: field,
  _value: value,
  _measurement: id.split('.')[0] as string,
  entity_id: id,
  domain: id.split('.')[0] as string,
  ...tags,
});
/** A row of Home Assistant's layout: tags `domain` and `entity_id` (the object id), measurement unit or id. */
const ha = (id: string, field: string, value: string, at: number, unit?: string): FluxRow => ({
  result: 'last',
  _time: T(at),
  _field: field,
  _value: value,
  _measurement: unit ?? id,
  entity_id: id.split('.')[1] as string,
  domain: id.split('.')[0] as string,
});

describe('entity ids in either layout', () => {
  it('reads the whole id from HomeIQ tags and from domain + object id, and nothing else', () => {
    expect(rowEntityId({ entity_id: 'sensor.a', domain: 'sensor' })).toBe('sensor.a');
    expect(rowEntityId({ entity_id: 'a', domain: 'sensor' })).toBe('sensor.a');
    expect(rowEntityId({ entity_id: 'a' })).toBeUndefined();
    expect(rowEntityId({ domain: 'sensor' })).toBeUndefined();
    expect(rowEntityId({ entity_id: 'A b', domain: 'sensor' })).toBeUndefined();
  });

  it('filters on the whole id or on both tags, every value a parameter', () => {
    const params = {};
    expect(entityFilter(['sensor.a', 'switch.b_c'], params)).toBe(
      'r.entity_id == params.e0 or (r.domain == params.d0 and r.entity_id == params.o0) or ' +
        'r.entity_id == params.e1 or (r.domain == params.d1 and r.entity_id == params.o1)',
    );
    expect(params).toEqual({ e0: 'sensor.a', d0: 'sensor', o0: 'a', e1: 'switch.b_c', d1: 'switch', o1: 'b_c' });
  });
});

describe('the catalog on both layouts', () => {
  it("lists HA's layout: name, unit from the measurement, numbers as `value` alone, on/off as state", () => {
    const rows = [
      ha('sensor.temp', 'value', '21.5', 100, '°C'),
      ha('sensor.temp', 'friendly_name_str', 'Temperature', 100, '°C'),
      ha('sensor.count', 'value', '3', 50),
      ha('switch.pump', 'state', 'on', 70),
      ha('switch.pump', 'value', '1', 70),
      ha('input_select.mode', 'state', 'eco', 80),
      // An older series of the same entity (its unit changed): the newest point's measurement wins.
      ha('sensor.temp', 'value', '70', 10, '°F'),
      { result: 'first0', _time: T(5), entity_id: 'temp', domain: 'sensor' },
      { result: 'first1', _time: T(1), entity_id: 'temp', domain: 'sensor' },
    ];
    const c = buildCatalog(rows);
    expect(c.map((e) => [e.entityId, e.kind, e.unit, e.name])).toEqual([
      ['input_select.mode', 'state', undefined, undefined],
      ['sensor.count', 'number', undefined, undefined],
      ['sensor.temp', 'number', '°C', 'Temperature'],
      ['switch.pump', 'state', undefined, undefined],
    ]);
    expect(c[2]).toMatchObject({ domain: 'sensor', first: us(1) / 1000, last: us(100) / 1000, area: undefined });
  });

  it('a number that became text (and back) is read from the newest point of either field', () => {
    const was = buildCatalog([ha('sensor.x', 'value', '2', 10), ha('sensor.x', 'state', 'error', 20)]);
    expect(was[0]?.kind).toBe('state');
    const is = buildCatalog([ha('sensor.x', 'value', '2', 30), ha('sensor.x', 'state', 'error', 20)]);
    expect(is[0]?.kind).toBe('number');
  });

  it("keeps HomeIQ's layout as it was, and merges an entity written in both", () => {
    const rows = [
      homeiq('sensor.t', 'state', '20', 100, { area: 'kitchen', unit: '°C', labels: 'a,b', device_class: 'x' }),
      homeiq('sensor.t', 'attr_friendly_name_str', 'T', 100),
      // HomeIQ's own `value` rows and the other layout's name field are not what the catalog reads.
      homeiq('sensor.v', 'value', '1', 100),
      homeiq('sensor.t', 'friendly_name_str', 'wrong', 200),
      ha('sensor.both', 'value', '1', 50, 'W'),
      homeiq('sensor.both', 'state', '2', 40, { area: 'hall', unit: 'W' }),
      ha('sensor.both', 'friendly_name_str', 'Both', 50),
    ];
    const c = buildCatalog(rows);
    expect(c.map((e) => e.entityId)).toEqual(['sensor.both', 'sensor.t']);
    expect(c[1]).toMatchObject({ name: 'T', area: 'kitchen', unit: '°C', labels: ['a', 'b'], kind: 'number' });
    // The newest point is HA's: no area any more, its unit from the measurement.
    expect(c[0]).toMatchObject({ name: 'Both', area: undefined, unit: 'W', kind: 'number', last: us(50) / 1000 });
  });
});

describe('chart queries on both layouts', () => {
  it('filter by field and both tag forms, then aggregate per series', () => {
    const q = valueFlux({
      bucket: 'b',
      field: 'value',
      ids: ['sensor.a'],
      startMs: 0,
      endMs: 1000,
      every: '1m',
      summaries: false,
    });
    expect(q.flux).toContain(
      'filter(fn: (r) => r._field == params.field and (r.entity_id == params.e0 or (r.domain == params.d0 and r.entity_id == params.o0)))\n  |> aggregateWindow',
    );
    expect(q.flux).toContain('keep(columns: ["_time", "_value", "entity_id", "domain"])');
    expect(q.params).toMatchObject({ field: 'value', e0: 'sensor.a', d0: 'sensor', o0: 'a', every: '1m' });
    const s = stateFlux('b', ['switch.p'], 0, 1000, undefined);
    expect(s.flux.match(/r\._field == "state" and \(r\.entity_id == params\.e0 or/g)).toHaveLength(2);
    expect(s.params).toMatchObject({ e0: 'switch.p', d0: 'switch', o0: 'p', cap: EXPLORE_MAX_POINTS + 1 });
  });

  it('read values by whole id, averaging series of one entity at one time', () => {
    const rows: FluxRow[] = [
      { _time: T(60), _value: '20', entity_id: 'a', domain: 'sensor' },
      { _time: T(60), _value: '22', entity_id: 'sensor.a', domain: 'sensor' },
      { _time: T(120), _value: '5', entity_id: 'b', domain: 'sensor' },
      { _time: T(120), _value: '', entity_id: 'b', domain: 'sensor' },
      { _time: T(120), _value: '9', entity_id: 'b' },
    ];
    const { values, capped } = valuesFromRows(rows, false);
    expect([...values]).toEqual([
      ['sensor.a', new Map([[us(60), 21]])],
      ['sensor.b', new Map([[us(120), 5]])],
    ]);
    expect(capped.size).toBe(0);
  });

  it('read bands by whole id, with the state held when the range starts', () => {
    const rows: FluxRow[] = [
      { result: 'before', _time: T(-5), _value: 'off', entity_id: 'p', domain: 'switch' },
      { result: 'states', _time: T(10), _value: 'on', entity_id: 'p', domain: 'switch' },
      { result: 'states', _time: T(20), _value: 'on', entity_id: 'switch.p', domain: 'switch' },
      { result: 'states', _time: T(30), _value: 'off', entity_id: 'p', domain: 'switch' },
    ];
    expect(bandsFromRows(rows, ['switch.p'], us(0) / 1000, true)).toEqual([
      { entityId: 'switch.p', times: [us(0), us(10), us(30)], states: ['off', 'on', 'off'], truncated: false },
    ]);
  });
});
