import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';
import { Health } from './health.js';

describe('Backoff', () => {
  it('grows exponentially within [ceiling/2, ceiling], caps, honours a floor and resets', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect([low.next(), low.next(), low.next(), low.next(), low.next()]).toEqual([50, 100, 200, 400, 500]);
    const high = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([high.next(), high.next(), high.next(), high.next(), high.next()]).toEqual([100, 200, 400, 800, 1000]);
    expect(high.next(5000)).toBe(5000);
    high.reset();
    expect(high.attempts).toBe(0);
    expect(high.next()).toBe(100);
  });
});

describe('Health', () => {
  it('reports the worst status and keeps `since` while a status holds', () => {
    let t = 0;
    const h = new Health(() => new Date(t));
    h.set('ha', 'green', 'connected');
    expect(h.report().status).toBe('green');
    t = 1000;
    h.set('ha', 'green', 'still connected');
    expect(h.report().checks[0]?.since).toBe(new Date(0).toISOString());
    h.set('influx', 'amber', 'slow', 'check disk');
    expect(h.report().status).toBe('amber');
    h.set('ha', 'red', 'disconnected');
    expect(h.report()).toMatchObject({ status: 'red' });
    expect(h.report().checks.find((c) => c.name === 'ha')?.since).toBe(new Date(1000).toISOString());
    h.remove('ha');
    expect(h.report().status).toBe('amber');
  });
});
