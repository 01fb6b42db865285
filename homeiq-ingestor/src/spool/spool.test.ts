import { createLogger, LogSecrets } from '@homeiq/shared';
import { cp, mkdtemp, readdir, readFile, rm, appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAll } from '../../../tests/harness/spool-read-all.js';
import { Spool, type Cursor } from './spool.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Spool', () => {
  it('commits appends with one fsync per group and reads them back across segments', async () => {
    const spool = new Spool({ dir, maxBytes: 1 << 30, segmentBytes: 1000, log });
    await spool.start();
    const lines = Array.from({ length: 500 }, (_, i) => `m v=${i} ${i}\nwith "newline"`);
    for (const [i, l] of lines.entries()) {
      expect(spool.append(l)).toBe(true);
      if (i % 50 === 49) await spool.sync();
    }
    await spool.sync();
    const s = spool.stats();
    expect(s.committed).toBe(500);
    expect(s.commits).toBeLessThan(500);
    expect((await readdir(dir)).filter((n) => n.endsWith('.seg')).length).toBeGreaterThan(1);
    expect(await readAll(spool)).toEqual(lines);
    await spool.stop();
  });

  it('after ack, a reopened spool resumes after the confirmed position and deleted segments are gone', async () => {
    const spool = new Spool({ dir, maxBytes: 1 << 30, segmentBytes: 200, log });
    await spool.start();
    for (let i = 0; i < 100; i += 1) spool.append(`m v=${i} ${i}`);
    await spool.sync();
    expect((await readdir(dir)).filter((n) => n.endsWith('.seg')).length).toBeGreaterThan(3);
    const records: string[] = [];
    let next = spool.ackCursor;
    while (records.length < 60) {
      const r = await spool.read(next, 60 - records.length, 1 << 20);
      records.push(...r.batch.lines());
      next = r.next;
    }
    expect(records).toHaveLength(60);
    const before = (await readdir(dir)).length;
    await spool.ack(next);
    expect((await readdir(dir)).length).toBeLessThan(before);
    await spool.stop();
    const again = new Spool({ dir, maxBytes: 1 << 30, segmentBytes: 200, log });
    await again.start();
    expect(await readAll(again)).toEqual(Array.from({ length: 40 }, (_, i) => `m v=${i + 60} ${i + 60}`));
    await again.stop();
  });

  it('saves the confirmed position at most every ackSaveMs; a crash meanwhile resumes before it, never after', async () => {
    const spool = new Spool({ dir, maxBytes: 1 << 30, segmentBytes: 200, ackSaveMs: 300, log });
    await spool.start();
    const lines = Array.from({ length: 100 }, (_, i) => `m v=${i} ${i}`);
    for (const l of lines) spool.append(l);
    await spool.sync();
    const first = await spool.read(spool.ackCursor, 20, 1 << 20);
    await spool.ack(first.next);
    const saved = async (): Promise<unknown> => JSON.parse(await readFile(join(dir, 'ack.json'), 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(await saved()).toEqual(first.next); // the first save is not held back
    let cur = first.next;
    for (let k = 0; k < 3; k += 1) {
      const r = await spool.read(cur, 20, 1 << 20);
      await spool.ack(r.next);
      cur = r.next;
    }
    expect(await saved()).toEqual(first.next); // trailing: segments up to `cur` are gone already
    // A crash now: a copy of the directory as it is, opened afresh.
    const crashed = `${dir}-crashed`;
    await cp(dir, crashed, { recursive: true });
    const reopened = new Spool({ dir: crashed, maxBytes: 1 << 30, segmentBytes: 200, log });
    await reopened.start();
    const after = await readAll(reopened);
    await reopened.stop();
    await rm(crashed, { recursive: true, force: true });
    expect(after.length).toBeGreaterThanOrEqual(40); // the 40 never confirmed, perhaps some confirmed ones again
    expect(after.slice(-40)).toEqual(lines.slice(60));
    expect(lines.join('\n').endsWith(after.join('\n'))).toBe(true); // in order, a suffix of what was appended
    await new Promise((r) => setTimeout(r, 400));
    expect(await saved()).toEqual(cur);
    await spool.stop();
  });

  it('refuses new points when full, says so, and takes them again once InfluxDB confirmed', async () => {
    const changes: boolean[] = [];
    const spool = new Spool({ dir, maxBytes: 1000, log, onFullChange: (f) => changes.push(f) });
    await spool.start();
    let accepted = 0;
    for (let i = 0; i < 100; i += 1) if (spool.append(`m v=${i} ${i}`)) accepted += 1;
    await spool.sync();
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(100);
    expect(spool.stats()).toMatchObject({ full: true, refused: 100 - accepted });
    const all = await readAll(spool);
    expect(all).toHaveLength(accepted);
    await spool.ack(spool.end);
    expect(spool.stats().full).toBe(false);
    expect(spool.append('m v=1 1')).toBe(true);
    expect(changes).toEqual([true, false]);
    await spool.stop();
  });

  it('cuts a torn tail left by a crash and keeps every whole record', async () => {
    const spool = new Spool({ dir, maxBytes: 1 << 30, log });
    await spool.start();
    for (let i = 0; i < 10; i += 1) spool.append(`m v=${i} ${i}`);
    await spool.stop();
    const seg = (await readdir(dir)).find((n) => n.endsWith('.seg')) as string;
    await appendFile(join(dir, seg), Buffer.from([20, 0, 0, 0, 1, 2, 3, 4, 65, 66])); // header promises 20 bytes, 2 written
    const again = new Spool({ dir, maxBytes: 1 << 30, log });
    await again.start();
    again.append('m v=10 10');
    await again.sync();
    expect(await readAll(again)).toEqual(Array.from({ length: 11 }, (_, i) => `m v=${i} ${i}`));
    await again.stop();
  });

  it('waitForData waits while the next segment is still empty (just rotated), instead of resolving at once', async () => {
    const first = new Spool({ dir, maxBytes: 1 << 30, log });
    await first.start();
    first.append('m v=1 1');
    await first.stop();
    const size = 15;
    await writeFile(join(dir, `${String(2).padStart(16, '0')}.seg`), '');
    const spool = new Spool({ dir, maxBytes: 1 << 30, log });
    await spool.start();
    const cur = { segment: 1, offset: size };
    expect(spool.end).toEqual({ segment: 2, offset: 0 });
    expect((await spool.read(cur, 10, 1 << 20)).batch.lines()).toEqual([]);
    let woke = false;
    void spool.waitForData(cur).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toBe(false);
    spool.append('m v=2 2');
    await spool.sync();
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(true);
    expect((await spool.read(cur, 10, 1 << 20)).batch.lines()).toEqual(['m v=2 2']);
    await spool.stop();
  });

  it('ignores a garbage ack file rather than failing to start', async () => {
    await writeFile(join(dir, 'ack.json'), 'not json');
    const spool = new Spool({ dir, maxBytes: 1 << 30, log });
    await spool.start();
    spool.append('m v=1 1');
    await spool.sync();
    expect(await readAll(spool)).toEqual(['m v=1 1']);
    await spool.stop();
  });
});

describe('Spool in-memory tail', () => {
  /** Lines of varied sizes, some multi-byte and with newlines (the tail must count framed bytes as the disk does). */
  const line = (i: number): string => `m,k=v${i % 7} v=${i},s="${'é'.repeat(i % 13)}\n${'x'.repeat(i % 29)}" ${i}`;

  async function appendCommits(spool: Spool, from: number, commits: number, perCommit: number): Promise<string[]> {
    const out: string[] = [];
    for (let c = 0; c < commits; c += 1) {
      for (let k = 0; k < perCommit; k += 1) {
        const l = line(from + out.length);
        spool.append(l);
        out.push(l);
      }
      await spool.sync();
    }
    return out;
  }

  it('serves a reader keeping up from memory, and only committed records', async () => {
    const spool = new Spool({ dir, maxBytes: 1 << 30, log });
    await spool.start();
    const lines = await appendCommits(spool, 0, 5, 40);
    expect(await readAll(spool)).toEqual(lines);
    expect(spool.readStats()).toMatchObject({ disk: 0 });
    expect(spool.readStats().memory).toBeGreaterThan(0);
    // Appended but not yet committed: not readable, from memory or disk.
    spool.append('m v=1 1');
    expect((await spool.read(spool.end, 1000, 1 << 20)).batch.lines()).toEqual([]);
    await spool.sync();
    expect(
      (await spool.read({ segment: spool.end.segment, offset: spool.end.offset - 15 }, 10, 1 << 20)).batch.lines(),
    ).toEqual(['m v=1 1']);
    await spool.stop();
  });

  it('reads from disk after a restart (tail empty) and when the tail is off', async () => {
    const spool = new Spool({ dir, maxBytes: 1 << 30, log });
    await spool.start();
    const lines = await appendCommits(spool, 0, 3, 20);
    await spool.stop();
    const again = new Spool({ dir, maxBytes: 1 << 30, log });
    await again.start();
    expect(await readAll(again)).toEqual(lines);
    expect(again.readStats()).toMatchObject({ memory: 0, tailBytes: 0 });
    expect(again.readStats().disk).toBeGreaterThan(0);
    await again.stop();
    await rm(dir, { recursive: true, force: true });
    const off = new Spool({ dir, maxBytes: 1 << 30, log, tailBytes: 0 });
    await off.start();
    const more = await appendCommits(off, 0, 3, 20);
    expect(await readAll(off)).toEqual(more);
    expect(off.readStats()).toMatchObject({ memory: 0, tailBytes: 0 });
    await off.stop();
  });

  it('keeps at most tailBytes, evicting the oldest commits, and forgets what InfluxDB confirmed', async () => {
    const spool = new Spool({ dir, maxBytes: 1 << 30, segmentBytes: 4000, tailBytes: 3000, log });
    await spool.start();
    let max = 0;
    const lines: string[] = [];
    for (let c = 0; c < 40; c += 1) {
      lines.push(...(await appendCommits(spool, lines.length, 1, 1 + (c % 9))));
      max = Math.max(max, spool.readStats().tailBytes);
    }
    expect(max).toBeLessThanOrEqual(3000);
    expect(spool.readStats().tailBytes).toBeGreaterThan(0);
    // A reader from the start: the old part from disk, the newest from memory, together exactly what was appended.
    expect(await readAll(spool)).toEqual(lines);
    const { memory, disk } = spool.readStats();
    expect(disk).toBeGreaterThan(0);
    expect(memory).toBeGreaterThan(0);
    // Confirmed up to a record in the active segment: the commits before it go, the ones after it stay.
    const end = spool.end;
    const before = spool.readStats().tailBytes;
    await spool.ack({ segment: end.segment, offset: Math.floor(end.offset / 2) });
    expect(spool.readStats().tailBytes).toBeGreaterThan(0);
    expect(spool.readStats().tailBytes).toBeLessThan(before);
    await spool.ack(end);
    expect(spool.readStats().tailBytes).toBe(0);
    await spool.stop();
  });

  it('gives the same records and cursors as the disk for any cursor and limits, across the tail boundary', async () => {
    const memDir = join(dir, 'mem');
    const diskDir = join(dir, 'disk');
    const mem = new Spool({ dir: memDir, maxBytes: 1 << 30, segmentBytes: 6000, tailBytes: 5000, log });
    const disk = new Spool({ dir: diskDir, maxBytes: 1 << 30, segmentBytes: 6000, tailBytes: 0, log });
    await mem.start();
    await disk.start();
    const lines: string[] = [];
    for (let c = 0; c < 60; c += 1) {
      const n = 1 + ((c * 7) % 11);
      for (let k = 0; k < n; k += 1) {
        const l = line(lines.length);
        mem.append(l);
        disk.append(l);
        lines.push(l);
      }
      await Promise.all([mem.sync(), disk.sync()]);
    }
    // Every record start, read with assorted limits from both: identical answers.
    let cur: Cursor = disk.ackCursor;
    let checked = 0;
    for (let i = 0; ; i += 1) {
      const maxRecords = 1 + (i % 17);
      const maxBytes = [1, 50, 300, 2000, 1 << 20][i % 5] as number;
      const a = await mem.read(cur, maxRecords, maxBytes);
      const b = await disk.read(cur, maxRecords, maxBytes);
      expect(a).toEqual(b);
      if (b.batch.count === 0) break;
      checked += b.batch.count;
      const step = await disk.read(cur, 1, 1);
      cur = step.next;
    }
    expect(checked).toBeGreaterThan(lines.length);
    expect(mem.readStats().memory).toBeGreaterThan(0);
    expect(mem.readStats().disk).toBeGreaterThan(0);
    await mem.stop();
    await disk.stop();
  });
});
