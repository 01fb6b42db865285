import { describe, expect, it } from 'vitest';
import { BacklogAge } from './backlog-age.js';

const at = (segment: number, offset: number) => ({ segment, offset });

describe('BacklogAge', () => {
  it('is 0 while everything is confirmed, and grows from the last time the confirmed position was caught up', () => {
    const age = new BacklogAge();
    expect(age.sample(at(1, 100), at(1, 100), 0, 1_000)).toBe(0);
    // InfluxDB stops confirming at (1,100); data keeps coming.
    expect(age.sample(at(1, 200), at(1, 100), 100, 2_000)).toBe(1_000);
    expect(age.sample(at(1, 900), at(1, 100), 800, 61_000)).toBe(60_000);
    // It confirms up to (1,200): what is left was committed after the sample at 2 s.
    expect(age.sample(at(1, 950), at(1, 200), 750, 62_000)).toBe(60_000);
    expect(age.sample(at(2, 10), at(1, 950), 10, 63_000)).toBe(1_000);
    expect(age.sample(at(2, 10), at(2, 10), 0, 64_000)).toBe(0);
  });

  it('counts a backlog from before its first sample from that sample (a lower bound)', () => {
    const age = new BacklogAge();
    expect(age.sample(at(3, 500), at(2, 0), 9_000, 10_000)).toBe(0);
    expect(age.sample(at(3, 500), at(2, 0), 9_000, 25_000)).toBe(15_000);
  });

  it('stays bounded through a long outage, keeping the oldest sample', () => {
    const age = new BacklogAge(16);
    let last = 0;
    for (let i = 1; i <= 10_000; i++) last = age.sample(at(1, i * 10), at(1, 10), i * 10, i * 1_000);
    expect(last).toBe(10_000_000 - 1_000);
  });
});
