import { Health } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { FigureSampler } from './figures.js';

/** The counters a sampler reads, set by the test between samples. */
function rig() {
  const now = { total: 0, bytes: 0, end: { segment: 1, offset: 0 }, ack: { segment: 1, offset: 0 } };
  const sampler = new FigureSampler({
    counter: { counts: () => ({ total: now.total, byType: {}, lastEventAt: undefined }) },
    spool: {
      stats: () => ({ bytes: now.bytes, full: false, commitError: undefined }) as never,
      get end() {
        return now.end;
      },
      get ackCursor() {
        return now.ack;
      },
    },
    quarantine: { stats: () => ({ count: 0, bytes: 0, dropped: 0 }) },
    writer: { stats: () => ({ failingSince: undefined, lastError: undefined }) as never },
    health: new Health(),
    spoolMaxBytes: 1024,
    rateWindowMs: 5_000,
    flushIntervalMs: 1_000,
  });
  return { now, sampler };
}

describe('FigureSampler', () => {
  it('events/s is the average over the window', () => {
    const { now, sampler } = rig();
    expect(sampler.sample(0, undefined).eventsPerSecond).toBeUndefined();
    for (let t = 1; t <= 10; t++) {
      now.total += 20;
      const f = sampler.sample(t * 1000, undefined);
      if (t === 10) expect(f.eventsPerSecond).toBe(20);
    }
  });

  it('points on their way are no backlog; once the oldest waits past the flush interval + 10 s they are', () => {
    const { now, sampler } = rig();
    // Steady flow: a little is always unsent, and InfluxDB confirms it within a second or two.
    for (let t = 0; t < 20; t++) {
      now.end = { segment: 1, offset: (t + 1) * 100 };
      now.ack = { segment: 1, offset: t * 100 };
      now.bytes = 100;
      const f = sampler.sample(t * 1000, undefined);
      expect([f.spool.bytes, f.spool.settledBytes, f.spool.settledAgeS]).toEqual([100, 0, 0]);
    }
    // InfluxDB stops confirming at 1900.
    let f = sampler.sample(20_000, undefined);
    for (let t = 21; t <= 40; t++) {
      now.end = { segment: 1, offset: (t + 1) * 100 };
      now.bytes = now.end.offset - now.ack.offset;
      f = sampler.sample(t * 1000, undefined);
      if (t === 28) expect(f.spool.settledBytes).toBe(0); // the oldest unsent (after the sample at 18 s) waited 10 s
    }
    expect(f.spool.settledBytes).toBe(now.bytes);
    expect(f.spool.settledAgeS).toBeGreaterThan(11);
  });
});
