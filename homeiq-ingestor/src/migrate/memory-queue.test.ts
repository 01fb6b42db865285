import { describe, expect, it } from 'vitest';
import { LineBuffer } from './line-buffer.js';
import { MemoryQueue } from './memory-queue.js';

function window(lines: string[]) {
  const b = new LineBuffer(0);
  for (const l of lines) b.add(l);
  return b.batch();
}

describe("the migration's queue", () => {
  it('is read like the spool: lines of one chunk at a time, bounded by lines and bytes', async () => {
    const q = new MemoryQueue();
    q.append(window(['a 1', 'bé 2', 'c 3']));
    q.append(window(['d 4']));
    const first = await q.read(q.ackCursor, 2, 1 << 20);
    expect(first.batch.lines()).toEqual(['a 1', 'bé 2']);
    expect(first.batch.body.toString()).toBe('a 1\nbé 2\n');
    const second = await q.read(first.next, 10, 1 << 20);
    expect(second.batch.lines()).toEqual(['c 3']);
    const third = await q.read(second.next, 10, 1 << 20);
    expect(third.batch.lines()).toEqual(['d 4']);
    expect((await q.read(third.next, 10, 1 << 20)).batch.count).toBe(0);
    // A byte bound still gives at least one line.
    expect((await q.read(q.ackCursor, 10, 1)).batch.lines()).toEqual(['a 1']);
    expect(first.next.segment < q.end.segment).toBe(true);
  });

  it('drops a chunk and tells the listener once InfluxDB confirmed all of it, in order', async () => {
    const q = new MemoryQueue();
    const confirmed: number[] = [];
    q.listen((seq) => confirmed.push(seq));
    const s1 = q.append(window(['a 1', 'b 2']));
    const s2 = q.append(window([]));
    const s3 = q.append(window(['c 3']));
    const bytes = q.stats().bytes;
    expect(bytes).toBe('a 1\nb 2\nc 3\n'.length);
    const r = await q.read(q.ackCursor, 1, 1 << 20);
    await q.ack(r.next);
    expect(confirmed).toEqual([]);
    expect(q.stats().bytes).toBe(bytes - 4);
    const r2 = await q.read(r.next, 10, 1 << 20);
    await q.ack(r2.next);
    // The empty window after it needs no confirmation.
    expect(confirmed).toEqual([s2]);
    const r3 = await q.read(r2.next, 10, 1 << 20);
    expect(r3.batch.lines()).toEqual(['c 3']);
    await q.ack(r3.next);
    expect(confirmed).toEqual([s2, s3]);
    expect(s1).toBeLessThan(s2);
    expect(q.stats()).toEqual({ bytes: 0, chunks: 0 });
    q.append(window([]));
    expect(confirmed).toHaveLength(3);
  });

  it('wakes a waiting reader when a window arrives, with one shared promise', async () => {
    const q = new MemoryQueue();
    const a = q.waitForData(q.ackCursor);
    expect(q.waitForData(q.ackCursor)).toBe(a);
    q.append(window(['x 1']));
    await a;
    await expect(q.waitForData(q.ackCursor)).resolves.toBeUndefined();
  });
});
