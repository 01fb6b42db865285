import { afterEach, describe, expect, it, vi } from 'vitest';
import { LargeFrameReclaim } from './large-frame-reclaim.js';

const MiB = 1024 * 1024;

afterEach(() => {
  vi.useRealTimers();
});

describe('LargeFrameReclaim', () => {
  it('asks for one collection a while after the last of a run of large frames, none for small ones', async () => {
    vi.useFakeTimers();
    const gc = vi.fn();
    const reclaim = new LargeFrameReclaim({ gc, thresholdBytes: 4 * MiB, delayMs: 1000 });
    for (let i = 0; i < 1000; i += 1) reclaim.frame(64 * 1024);
    reclaim.frame(4 * MiB - 1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(gc).not.toHaveBeenCalled();

    reclaim.frame(20 * MiB);
    await vi.advanceTimersByTimeAsync(500);
    reclaim.frame(8 * MiB); // the same run: the collection waits for its garbage too
    await vi.advanceTimersByTimeAsync(900);
    expect(gc).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(reclaim.collections).toBe(1);

    reclaim.frame(4 * MiB); // a later one gets its own
    await vi.advanceTimersByTimeAsync(1000);
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it('does nothing without --expose-gc, and a stop drops a pending collection', async () => {
    vi.useFakeTimers();
    const without = new LargeFrameReclaim({ gc: undefined });
    without.frame(100 * MiB);
    expect(vi.getTimerCount()).toBe(0);

    const gc = vi.fn();
    const reclaim = new LargeFrameReclaim({ gc });
    reclaim.frame(100 * MiB);
    await reclaim.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(gc).not.toHaveBeenCalled();
  });
});
