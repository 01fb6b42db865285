import { describe, expect, it } from 'vitest';
import { byCodeUnits } from '../util/compare.js';
import { count } from './format.js';

describe('count', () => {
  it('groups thousands with commas, as en-US does', () => {
    expect([0, 999, 1000, 1234567.4, -1234, 10_000_000].map(count)).toEqual([
      '0',
      '999',
      '1,000',
      '1,234,567',
      '-1,234',
      '10,000,000',
    ]);
  });
});

describe('byCodeUnits', () => {
  it('orders ids and ISO times', () => {
    expect(['sensor.b', 'light.a', 'sensor.a_2', 'sensor.a'].sort(byCodeUnits)).toEqual([
      'light.a',
      'sensor.a',
      'sensor.a_2',
      'sensor.b',
    ]);
    expect(byCodeUnits('2026-01-02T00:00:00Z', '2026-01-01T23:59:59Z')).toBe(1);
    expect(byCodeUnits('x', 'x')).toBe(0);
  });
});
