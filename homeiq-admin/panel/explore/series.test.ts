import { describe, expect, it } from 'vitest';
import type { QueryTable } from '../../src/api-types.js';
import { answerSeries, PALETTE } from './series.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00.5Z';
const US0 = Date.UTC(2026, 0, 1) * 1000;

/** A Flux table of HomeIQ's layout: grouped by entity and field, `_value` a double. */
function fluxTable(table: string, entity: string, field: string, values: string[]): QueryTable {
  return {
    result: '_result',
    table,
    columns: [
      { name: 'table', type: 'long', group: false },
      { name: '_start', type: 'dateTime:RFC3339', group: true },
      { name: '_time', type: 'dateTime:RFC3339', group: false },
      { name: '_value', type: 'double', group: false },
      { name: '_field', type: 'string', group: true },
      { name: 'entity_id', type: 'string', group: true },
    ],
    rows: values.map((v, i) => [table, T0, i === 0 ? T0 : T1, v, field, entity]),
  };
}

describe('answerSeries', () => {
  it("names a HomeIQ series by its entity (and its field unless it is `value`), at the rows' times in µs", () => {
    const series = answerSeries([
      fluxTable('0', 'sensor.kitchen', 'value', ['21.5', '22']),
      fluxTable('1', 'sensor.kitchen', 'attr_battery_num', ['80', '79']),
    ]);
    expect(series.map((s) => s.label)).toEqual(['sensor.kitchen', 'sensor.kitchen attr_battery_num']);
    expect(series[0]?.times).toEqual([US0, US0 + 60_500_000]);
    expect(series[0]?.values).toEqual([21.5, 22]);
    expect(series.map((s) => s.color)).toEqual([PALETTE[0], PALETTE[1]]);
    expect(new Set(series.map((s) => s.key)).size).toBe(2);
  });

  it('leaves out empty and non-numeric cells, and tables without a time column', () => {
    const t = fluxTable('0', 'sensor.a', 'value', ['', 'NaN']);
    const noTime: QueryTable = {
      result: '_result',
      table: '1',
      columns: [{ name: '_value', type: 'double', group: false }],
      rows: [['1']],
    };
    expect(answerSeries([t, noTime])).toEqual([]);
  });

  it('labels an InfluxQL series by its name and column, one line per numeric column', () => {
    const t: QueryTable = {
      result: '0',
      table: 'sensor',
      columns: [
        { name: 'time', type: 'dateTime:RFC3339', group: false },
        { name: 'mean', type: 'double', group: false },
        { name: 'max', type: 'double', group: false },
        { name: 'state', type: 'string', group: false },
      ],
      rows: [[T0, '1.5', '2', 'on']],
    };
    expect(answerSeries([t]).map((s) => s.label)).toEqual(['sensor · mean', 'sensor · max']);
  });

  it('draws at most 20 lines from one answer', () => {
    const tables = Array.from({ length: 25 }, (_, i) => fluxTable(String(i), `sensor.s${i}`, 'value', ['1']));
    expect(answerSeries(tables)).toHaveLength(20);
  });
});
