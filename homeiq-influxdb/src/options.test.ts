import { parseOptions } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { influxdbOptionsSchema } from './options.js';

const good = {
  log_level: 'info',
  org: 'homeassistant',
  bucket: 'homeassistant',
  retention_days: 365,
  retention_5m_days: 730,
  retention_1h_days: 0,
  memory_profile: 'small',
};

describe('influxdb options', () => {
  it('accepts the defaults', () => {
    expect(parseOptions(influxdbOptionsSchema, good)).toEqual(good);
  });

  it('names every bad option in one line', () => {
    expect(() =>
      parseOptions(influxdbOptionsSchema, { ...good, bucket: '_system', retention_days: -1, retention_1h_days: 1.5 }),
    ).toThrow(
      /'bucket' must be 1–64 .*'retention_days' must be 0 \(forever\) or more days; 'retention_1h_days' must be a whole number/,
    );
    expect(() => parseOptions(influxdbOptionsSchema, { ...good, org: 'a"b' })).toThrow(/'org'/);
    expect(() => parseOptions(influxdbOptionsSchema, { ...good, retention_5m_days: 40000 })).toThrow(/at most 36500/);
    expect(() => parseOptions(influxdbOptionsSchema, { ...good, memory_profile: 'tiny' })).toThrow(
      /'memory_profile' must be one of small, standard/,
    );
  });

  it('defaults the memory profile to small (options saved before it existed)', () => {
    const { memory_profile: _, ...before } = good;
    expect(parseOptions(influxdbOptionsSchema, before).memory_profile).toBe('small');
  });
});
