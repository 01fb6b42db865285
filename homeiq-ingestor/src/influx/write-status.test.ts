import { Backoff, createLogger, Health, LogSecrets } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, WriteStatus } from './write-status.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });

describe('WriteStatus', () => {
  it('caps Retry-After so that a hostile value cannot stall writing for days', async () => {
    expect(MAX_RETRY_AFTER_MS).toBe(15 * 60_000);
    const slept: number[] = [];
    let stopped = false;
    const status = new WriteStatus({
      health: new Health(),
      log,
      backoff: new Backoff({ initialMs: 10, maxMs: 10 }),
      redAfterMs: 60_000,
      probeEveryMs: 1000,
      ping: async () => false,
      sleep: async (ms) => {
        slept.push(ms);
        stopped = true; // one sleep is enough to see its length
      },
      stopped: () => stopped,
    });
    await status.failed('InfluxDB answered 429: slow down', { retryAfterMs: 10 * 24 * 3600_000 });
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(MAX_RETRY_AFTER_MS - 1000);
    expect(slept[0]).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
  });
});
