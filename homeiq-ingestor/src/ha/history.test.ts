import { describe, expect, it } from 'vitest';
import { historyRowToState, secondsToMicros } from './history.js';

describe('secondsToMicros: the recorder float to the microsecond HA showed live', () => {
  it('rounds a tie to even and carries into the next second', () => {
    expect(secondsToMicros(1_795_154_325 + 1 / 128)).toBe(1_795_154_325_007_812); // 7812.5 µs
    expect(secondsToMicros(1_795_154_325 + 3 / 128)).toBe(1_795_154_325_023_438); // 23437.5 µs
    expect(secondsToMicros(1_795_154_326 - 2 ** -22)).toBe(1_795_154_326_000_000);
    expect(historyRowToState('sensor.x', { s: '1', lu: 1_795_167_236.3714135 })?.last_updated).toBe(
      '2026-11-20T09:33:56.371413+00:00',
    );
  });
});
