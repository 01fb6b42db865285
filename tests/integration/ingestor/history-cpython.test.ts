import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { microsToIso, secondsToMicros } from '../../../homeiq-ingestor/src/ha/history.js';
import { prng as seeded } from '../../../dev/ha-sim/demo-driver.js';

/**
 * HA stamps a live state with `datetime.fromtimestamp(time.time(), UTC)` and its recorder keeps the raw float, which
 * history replies return as `lu`. The reference is therefore the machine's real CPython, not a model of it: one
 * python3 process converts the whole batch.
 */
function pythonIso(values: readonly number[]): string[] {
  const script = [
    'import sys',
    'from datetime import datetime, timezone',
    'out = [datetime.fromtimestamp(float(v), timezone.utc).isoformat(timespec="microseconds") for v in sys.stdin.read().split()]',
    'sys.stdout.write("\\n".join(out))',
  ].join('\n');
  // String(x) is the shortest text that reads back as the same double, in JavaScript and in Python alike.
  const r = spawnSync('python3', ['-c', script], {
    input: values.map(String).join('\n'),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n');
}

/** time.time()-like floats from 2020 to 2100, plus the cases the rounding turns on. */
function realisticFloats(): number[] {
  const rnd = seeded(20261124);
  const second = (): number => 1_577_836_800 + Math.floor(rnd() * 2_524_608_000);
  const out: number[] = [];
  // Any double: the fraction carries all 52 bits.
  for (let i = 0; i < 100_000; i++) out.push(second() + rnd());
  // Exact ties (fraction × 1e6 = n + 0.5, odd multiples of 1/128 s): round half to even, not up.
  for (let i = 0; i < 5_000; i++) out.push(second() + (2 * Math.floor(rnd() * 64) + 1) / 128);
  // Just below the next second: the fraction rounds up to 1e6 µs and carries into the seconds.
  for (let i = 0; i < 5_000; i++) {
    const s = second();
    out.push(s + 1 - (1 + Math.floor(rnd() * 4)) * 2 ** (s < 2 ** 31 ? -22 : -21));
  }
  // What an older HA stored: last_updated.timestamp() of a whole microsecond.
  for (let i = 0; i < 5_000; i++) out.push((second() * 1_000_000 + Math.floor(rnd() * 1_000_000)) / 1_000_000);
  out.push(1_795_154_325, 1_795_154_325.5, 1_795_167_236.3714135, 2 ** 31 - 2 ** -22, 2 ** 31);
  return out;
}

describe('secondsToMicros against CPython', () => {
  it('agrees with CPython datetime.fromtimestamp on every one of 115k realistic floats', () => {
    const values = realisticFloats();
    const py = pythonIso(values);
    expect(py.length).toBe(values.length);
    const wrong: string[] = [];
    values.forEach((v, i) => {
      const ours = microsToIso(secondsToMicros(v));
      if (ours !== py[i]) wrong.push(`${String(v)}: python ${py[i]}, ours ${ours}`);
    });
    expect({ mismatches: wrong.length, examples: wrong.slice(0, 5) }).toEqual({ mismatches: 0, examples: [] });
  });
});
