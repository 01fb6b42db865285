import { describe, expect, it } from 'vitest';
import type { ExploreResult } from '../../src/api-types.js';
import { exploreCsv } from './csv.js';
import { exportName, num, stats } from './export.js';

const T = Date.UTC(2026, 0, 1) * 1000;
const result: ExploreResult = {
  start: T / 1000,
  end: T / 1000 + 3_600_000,
  plan: { source: 'raw', bucket: 'homeassistant', field: 'value', every: undefined, auto: false, label: 'raw' },
  series: [
    { entityId: 'sensor.a', unit: '°C', times: [T + 1, T + 60e6], values: [21.5, 22], notes: [], truncated: false },
    { entityId: 'sensor.b', unit: '%', times: [T + 60e6], values: [40], notes: [], truncated: false },
  ],
  bands: [
    {
      entityId: 'select.mode',
      times: [T, T + 120e6],
      states: ['eco', 'a "quoted", mode\r\nover two lines'],
      truncated: false,
    },
  ],
  previous: {
    start: 0,
    end: 0,
    shiftMs: 3_600_000,
    series: [{ entityId: 'sensor.a', unit: '°C', times: [T + 60e6], values: [20], notes: [], truncated: false }],
  },
  tookMs: 1,
};

describe('Explore export', () => {
  it('CSV: one row per time (exact µs, as InfluxDB writes times), one column per entity, RFC 4180 quoting', () => {
    expect(exploreCsv(result).split('\r\n')).toEqual([
      'time,sensor.a,sensor.b,select.mode,"sensor.a (previous period, 1 hour earlier)"',
      '2026-01-01T00:00:00Z,,,eco,',
      '2026-01-01T00:00:00.000001Z,21.5,,,',
      '2026-01-01T00:01:00Z,22,40,,20',
      '2026-01-01T00:02:00Z,,,"a ""quoted"", mode',
      'over two lines",',
      '',
    ]);
  });

  it('names files by the range, and sums up what is shown', () => {
    expect(exportName(Date.UTC(2026, 0, 1, 9, 30), Date.UTC(2026, 0, 8), 'png')).toBe(
      'homeiq-explore-20260101T0930-20260108T0000.png',
    );
    expect(stats([3, 1, 2])).toEqual({ min: 1, mean: 2, max: 3, last: 2 });
    expect(stats([])).toBeUndefined();
    expect([num(21.456789), num(123456.7), num(undefined), num(Number.NaN), num(0.000123456)]).toEqual([
      '21.46',
      '123,457',
      '–',
      '–',
      '0.0001235',
    ]);
  });
});
