import { describe, expect, it } from 'vitest';
import { downsampleTask, TIERS } from './downsample.js';

describe('downsampleTask', () => {
  it('aggregates mean, min, max and count of numeric value per aligned window into <bucket>_5m', () => {
    const t = downsampleTask('home', 'ha', TIERS[0]!);
    expect(t.name).toBe('homeiq-downsample-5m');
    expect(t.flux).toContain('option task = {name: "homeiq-downsample-5m", every: 5m, offset: 30s}');
    expect(t.flux).toContain('from(bucket: "ha")');
    expect(t.flux).toContain('stop = date.truncate(t: now(), unit: 5m)');
    for (const fn of ['mean', 'min', 'max', 'count']) {
      expect(t.flux).toContain(`aggregateWindow(every: 5m, fn: ${fn}, createEmpty: false)`);
      expect(t.flux).toContain(`set(key: "_field", value: "${fn}")`);
    }
    expect(t.flux.match(/to\(bucket: "ha_5m", org: "home"\)/g)).toHaveLength(4);
  });

  it('uses hour windows over the last two hours for the 1h tier', () => {
    const t = downsampleTask('home', 'ha', TIERS[1]!);
    expect(t.flux).toContain('start = experimental.subDuration(d: 2h, from: stop)');
    expect(t.flux).toContain('to(bucket: "ha_1h", org: "home")');
  });
});
