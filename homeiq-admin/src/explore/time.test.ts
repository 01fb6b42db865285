import { describe, expect, it } from 'vitest';
import { durationMs, microsToRfc3339, rfc3339ToMicros, spanText } from './time.js';

const H = 3_600_000;
const D = 24 * H;

describe('Explore times', () => {
  it('keeps microseconds exact, and prints them as InfluxDB does', () => {
    expect(rfc3339ToMicros('2026-01-02T03:04:05.123456Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) * 1000 + 123_456);
    expect(rfc3339ToMicros('2026-01-02T03:04:05.123456789Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) * 1000 + 123_456);
    expect(rfc3339ToMicros('2026-01-02T03:04:05Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) * 1000);
    expect(rfc3339ToMicros('2026-01-02T04:04:05.5+01:00')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) * 1000 + 500_000);
    expect(rfc3339ToMicros('yesterday')).toBeNaN();
    for (const s of [
      '2026-01-02T03:04:05.123456Z',
      '2026-01-02T03:04:05.12Z',
      '2026-01-02T03:04:05Z',
      '1970-01-01T00:00:00.000001Z',
    ])
      expect(microsToRfc3339(rfc3339ToMicros(s))).toBe(s);
  });

  it('reads durations and says spans in words', () => {
    expect(durationMs('15m')).toBe(15 * 60_000);
    expect(durationMs('2w')).toBe(14 * D);
    expect(durationMs('1mo')).toBeNaN();
    expect(spanText(2 * 365 * D)).toBe('2 years');
    expect(spanText(36 * H)).toBe('36 hours');
    expect(spanText(2.5 * D)).toBe('2.5 days');
    expect(spanText(H)).toBe('1 hour');
  });
});
