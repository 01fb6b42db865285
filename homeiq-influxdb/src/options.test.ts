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
  });
});
