import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { compactEvent } from '../http/event-stream.js';
import { cap, type Problem } from './state-model.js';

// V8's full collection, reachable from a fresh context once the flag is set (for measuring what stays resident).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;

/** `make` given a fresh 32 MiB string, parsed as a frame from Home Assistant is (in a frame of its own: the
 * interpreter keeps a running function's temporaries alive). */
function given(make: (big: string) => unknown): unknown {
  return make((JSON.parse(`["${'v'.repeat(32 * MiB)}"]`) as string[])[0] as string);
}

/** Heap growth (MiB) that outlives `make`'s input: what `make` keeps of it. */
function retainedMiB(make: (big: string) => unknown): { kept: unknown; mib: number } {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = given(make);
  gc();
  return { kept, mib: (process.memoryUsage().heapUsed - before) / MiB };
}

describe('cap', () => {
  it('keeps the head of a huge value as a string of its own, not the whole value behind it', () => {
    const problems: Problem[] = [];
    const { kept, mib } = retainedMiB((big) => cap(big, 256 * 1024, problems));
    expect((kept as string).length).toBe(256 * 1024 + `…[truncated ${32 * MiB - 256 * 1024} chars]`.length);
    expect((kept as string).startsWith('vvv')).toBe(true);
    expect(problems).toEqual(['truncated']);
    expect(mib).toBeLessThan(4);
  });

  it("in the event stream's buffer too: a huge state or name capped there does not stay resident", () => {
    const { kept, mib } = retainedMiB((big) =>
      compactEvent(1, {
        event_type: 'state_changed',
        time_fired: '2026-12-06T10:00:00+00:00',
        data: {
          entity_id: 'sensor.big',
          new_state: { entity_id: 'sensor.big', state: big, attributes: { friendly_name: big } },
          old_state: null,
        },
      }),
    );
    expect((kept as { state: string }).state).toHaveLength(257);
    expect(mib).toBeLessThan(4);
  });
});
