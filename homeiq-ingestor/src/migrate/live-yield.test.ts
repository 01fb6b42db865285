import { describe, expect, it } from 'vitest';
import { LiveYield } from './live-yield.js';

/** A live writer and spool the test sets, and a clock that only moves when the yield pauses. */
function rig() {
  const live = { batches: 0, lastBatchMs: 50 as number | undefined, inFlight: 0, spoolBytes: 0 };
  let now = 1_000_000;
  const paused: number[] = [];
  const y = new LiveYield(
    {
      writer: {
        stats: () => ({ batches: live.batches, lastBatchMs: live.lastBatchMs }),
        inFlight: () => live.inFlight,
      },
      spool: { stats: () => ({ bytes: live.spoolBytes }) },
    },
    {
      now: () => now,
      sleep: async (ms) => {
        paused.push(ms);
        now += ms;
        if (live.inFlight > 0) live.inFlight -= 1;
      },
    },
  );
  return { y, live, paused, advance: (ms: number) => (now += ms) };
}

describe("the migration's writer yields to live ingestion", () => {
  it('runs unpaced while live writes are fast', async () => {
    const { y, live, paused, advance } = rig();
    for (let i = 0; i < 10; i += 1) {
      live.batches += 1;
      await y.turn(2000);
      advance(100);
    }
    expect(y.rate).toBe(Number.POSITIVE_INFINITY);
    expect(paused).toEqual([]);
  });

  it('waits while a live request is on the wire', async () => {
    const { y, live, paused } = rig();
    live.inFlight = 3;
    await y.turn(2000);
    expect(paused).toEqual([5, 5, 5]);
  });

  it('halves its rate when live writes get slow or the live spool fills, then raises it by a quarter a second', async () => {
    const { y, live, advance } = rig();
    // Two seconds at 20,000 lines/s: the rate it halves from.
    for (let i = 0; i < 21; i += 1) {
      await y.turn(2000);
      advance(100);
    }
    live.batches += 1;
    live.lastBatchMs = 800;
    await y.turn(2000);
    expect(y.rate).toBe(10_000);
    // At most one change a second.
    live.batches += 1;
    await y.turn(2000);
    expect(y.rate).toBe(10_000);
    advance(1000);
    live.spoolBytes = 2 * 1024 * 1024;
    await y.turn(2000);
    expect(y.rate).toBe(5000);
    live.spoolBytes = 0;
    live.lastBatchMs = 50;
    advance(1000);
    live.batches += 1;
    await y.turn(2000);
    expect(y.rate).toBe(6250);
    // Never below 200 lines/s.
    for (let i = 0; i < 20; i += 1) {
      advance(1000);
      live.batches += 1;
      live.lastBatchMs = 900;
      await y.turn(10);
    }
    expect(y.rate).toBe(200);
  });

  it('does not halve from nothing when live writes are slow as the migration starts', async () => {
    const { y, live, advance } = rig();
    // The live writer's last batch, before the migration sent anything, was slow: old news.
    live.lastBatchMs = 800;
    await y.turn(2000);
    expect(y.rate).toBe(Number.POSITIVE_INFINITY);
    // A slow live batch 100 ms in: nothing measured yet to halve from.
    advance(100);
    live.batches += 1;
    await y.turn(2000);
    expect(y.rate).toBe(Number.POSITIVE_INFINITY);
    // Six batches sent in 600 ms (20,000 lines/s): it halves from what was sent, not from the bottom, and not
    // counting the batch whose turn this is (not sent yet).
    for (let i = 0; i < 4; i += 1) {
      advance(100);
      await y.turn(2000);
    }
    advance(100);
    live.batches += 1;
    await y.turn(2000);
    expect(y.rate).toBe(10_000);
  });

  it('spaces the batches to the rate', async () => {
    const { y, live, paused, advance } = rig();
    for (let i = 0; i < 21; i += 1) {
      await y.turn(1000);
      advance(100);
    }
    live.batches += 1;
    live.lastBatchMs = 800;
    await y.turn(1000);
    expect(y.rate).toBe(5000);
    paused.length = 0;
    await y.turn(1000);
    await y.turn(1000);
    // 1000 lines at 5000 lines/s: 200 ms apart.
    expect(paused.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(200);
  });
});
