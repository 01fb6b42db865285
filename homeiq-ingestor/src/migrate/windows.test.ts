import { describe, expect, it } from 'vitest';
import { defaultShardDuration, MAX_SPAN_NS, MIN_SPAN_NS, nextBoundary, NS_PER_S, WindowSizer } from './windows.js';

const DAY = 86_400n * NS_PER_S;
const WEEK = 7n * DAY;
const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;

describe('shard group boundaries', () => {
  it("weeks start on Mondays, as Go's time.Truncate puts InfluxDB's shard groups", () => {
    // Shard groups InfluxDB 1.6 created for points in September/October 2001 (SHOW SHARDS).
    expect(nextBoundary(at('2001-09-09T01:46:40Z'), { boundaries: [], durationNs: WEEK })).toBe(
      at('2001-09-10T00:00:00Z'),
    );
    expect(nextBoundary(at('2001-10-02T05:20:00Z'), { boundaries: [], durationNs: WEEK })).toBe(
      at('2001-10-08T00:00:00Z'),
    );
    expect(nextBoundary(at('2001-10-08T00:00:00Z'), { boundaries: [], durationNs: WEEK })).toBe(
      at('2001-10-15T00:00:00Z'),
    );
    expect(nextBoundary(at('1960-01-01T00:00:00Z'), { boundaries: [], durationNs: DAY })).toBe(
      at('1960-01-02T00:00:00Z'),
    );
  });

  it('exact boundaries from the server come first', () => {
    const layout = { boundaries: [at('2026-01-03T00:00:00Z'), at('2026-01-10T00:00:00Z')], durationNs: WEEK };
    expect(nextBoundary(at('2026-01-01T00:00:00Z'), layout)).toBe(at('2026-01-03T00:00:00Z'));
    expect(nextBoundary(at('2026-01-03T00:00:00Z'), layout)).toBe(at('2026-01-10T00:00:00Z'));
    expect(nextBoundary(at('2026-01-10T00:00:00Z'), layout)).toBe(at('2026-01-12T00:00:00Z'));
  });

  it("InfluxDB's default durations", () => {
    expect(defaultShardDuration(0n)).toBe(WEEK);
    expect(defaultShardDuration(DAY)).toBe(3600n * NS_PER_S);
    expect(defaultShardDuration(30n * DAY)).toBe(DAY);
    expect(defaultShardDuration(365n * DAY)).toBe(WEEK);
  });
});

describe('window sizes', () => {
  const layout = { boundaries: [], durationNs: WEEK };
  it('stops at the end of the range and at a shard boundary', () => {
    const s = new WindowSizer(2n * DAY, 1000);
    expect(s.end(at('2026-01-04T00:00:00Z'), at('2026-02-01T00:00:00Z'), layout)).toBe(at('2026-01-05T00:00:00Z'));
    expect(s.end(at('2026-01-05T00:00:00Z'), at('2026-02-01T00:00:00Z'), layout)).toBe(at('2026-01-07T00:00:00Z'));
    expect(s.end(at('2026-01-05T00:00:00Z'), at('2026-01-06T00:00:00Z'), layout)).toBe(at('2026-01-06T00:00:00Z'));
  });

  it('aims at the target, by at most four-fold steps, within bounds', () => {
    const s = new WindowSizer(DAY, 1000);
    s.observed(2000, DAY);
    expect(s.spanNs).toBe(DAY / 2n);
    s.observed(1_000_000, DAY / 2n);
    expect(s.spanNs).toBe(DAY / 8n);
    s.observed(0, DAY / 8n);
    expect(s.spanNs).toBe(DAY / 2n);
    s.tooBig(DAY / 2n);
    expect(s.spanNs).toBe(DAY / 8n);
    const small = new WindowSizer(1n, 10);
    expect(small.spanNs).toBe(MIN_SPAN_NS);
    const big = new WindowSizer(MAX_SPAN_NS, 10);
    big.observed(0, MAX_SPAN_NS);
    expect(big.spanNs).toBe(MAX_SPAN_NS);
  });
});
