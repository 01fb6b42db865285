import { createLogger, LogSecrets } from '@homeiq/shared';
import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultyDisk, settledWithin } from '../../../tests/harness/faulty-disk.js';
import { Spool } from './spool.js';
import { until } from '../../../dev/until.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-spool-lim-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Spool limits and states', () => {
  it('tells a point too big for a record from a full spool: counted apart, never "full"', async () => {
    const changes: boolean[] = [];
    const spool = new Spool({ dir, maxBytes: 64 << 20, log, onFullChange: (f) => changes.push(f) });
    await spool.start();
    // 17 MiB of ASCII (one byte a character) and 6 Mi characters of 3-byte text: both beyond the 16 MiB record.
    expect(spool.append(`m v="${'x'.repeat(17 << 20)}" 1`)).toBe(false);
    expect(spool.append(`m v="${'€'.repeat(6 << 20)}" 1`)).toBe(false);
    expect(spool.stats()).toMatchObject({ tooBig: 2, refused: 0, full: false, bytes: 0 });
    expect(changes).toEqual([]);
    // A point that fits goes in at once: nothing was left behind.
    expect(spool.append('m v=1 1')).toBe(true);
    await spool.sync();
    expect(spool.stats()).toMatchObject({ committed: 1, tooBig: 2, refused: 0, full: false });
    await spool.stop();
  });

  it('a point too big in UTF-8 bytes (not in characters) is too big, also when it is larger than the room left', async () => {
    const changes: boolean[] = [];
    // 4 MiB of room, and 6 Mi characters of 3-byte text: fewer characters than a record's 16 MiB, more bytes.
    const spool = new Spool({ dir, maxBytes: 4 << 20, log, onFullChange: (f) => changes.push(f) });
    await spool.start();
    expect(spool.append(`m v="${'€'.repeat(6 << 20)}" 1`)).toBe(false);
    expect(spool.stats()).toMatchObject({ tooBig: 1, refused: 0, full: false });
    expect(changes).toEqual([]);
    await spool.stop();
  });

  it('a point larger than the room left is refused as full (the spool is within that point of its limit)', async () => {
    const changes: boolean[] = [];
    const spool = new Spool({ dir, maxBytes: 1000, log, onFullChange: (f) => changes.push(f) });
    await spool.start();
    expect(spool.append(`m v="${'x'.repeat(600)}" 1`)).toBe(true);
    expect(spool.append(`m v="${'x'.repeat(600)}" 2`)).toBe(false);
    expect(spool.stats()).toMatchObject({ tooBig: 0, refused: 1, full: true });
    expect(changes).toEqual([true]);
    await spool.stop();
  });

  it('counts the bytes of a commit in flight as unsent: the limit holds while the disk is slow', async () => {
    const disk = new FaultyDisk();
    const maxBytes = 10_000;
    const spool = new Spool({ dir, maxBytes, log, openSegment: disk.open });
    await spool.start();
    const line = `m,k=v value=1 ${'x'.repeat(80)}`;
    let release = (): void => undefined;
    disk.hold = new Promise<void>((r) => (release = r));
    let accepted = 0;
    while (spool.append(line)) accepted += 1;
    await until('a commit in progress', () => disk.held === 1, 1000); // a commit holds what was appended
    for (let i = 0; i < 50; i += 1) expect(spool.append(line)).toBe(false);
    expect(spool.stats().bytes).toBeLessThanOrEqual(maxBytes);
    disk.hold = undefined;
    release();
    expect(await settledWithin(spool.sync(), 3000)).toBe('resolved');
    expect(spool.stats()).toMatchObject({ committed: accepted, refused: 51 });
    expect(spool.stats().bytes).toBeLessThanOrEqual(maxBytes);
    // The same with many rounds of "fill, let a commit start": never beyond the limit.
    for (let round = 0; round < 50; round += 1) {
      while (spool.append(line)) accepted += 1;
      expect(spool.stats().bytes).toBeLessThanOrEqual(maxBytes);
      await new Promise((r) => setImmediate(r));
    }
    await spool.sync();
    expect(spool.stats().bytes).toBeLessThanOrEqual(maxBytes);
    await spool.stop();
  });

  it('refuses (and counts) points appended before start and after stop, without turning full, and commits after a restart', async () => {
    const changes: boolean[] = [];
    const spool = new Spool({ dir, maxBytes: 1 << 30, log, onFullChange: (f) => changes.push(f) });
    expect(spool.append('m v=0 0')).toBe(false);
    expect(spool.stats()).toMatchObject({ appended: 0, refused: 1, full: false });
    await spool.start();
    expect(spool.append('m v=1 1')).toBe(true);
    await spool.sync();
    await spool.stop();
    expect(spool.append('m v=2 2')).toBe(false);
    expect(spool.stats()).toMatchObject({ appended: 1, committed: 1, refused: 2, full: false });
    await spool.start();
    expect(spool.append('m v=3 3')).toBe(true);
    // Polled on timers first: the old code left a commit marked running forever and sync() spun in microtasks.
    await until('two committed', () => spool.stats().committed === 2, 1000);
    expect(await settledWithin(spool.sync(), 1000)).toBe('resolved');
    expect(changes).toEqual([]);
    await spool.stop();
  });

  it('refuses an empty line (it would read back as a torn record)', async () => {
    const changes: boolean[] = [];
    const spool = new Spool({ dir, maxBytes: 1 << 30, log, onFullChange: (f) => changes.push(f) });
    await spool.start();
    expect(spool.append('')).toBe(false);
    expect(spool.append('m v=1 1')).toBe(true);
    await spool.sync();
    expect(spool.stats()).toMatchObject({ appended: 1, committed: 1, refused: 1, full: false });
    expect(changes).toEqual([]);
    await spool.stop();
  });

  it('cuts a zero-filled tail (power loss) instead of reading it back as blank records', async () => {
    const spool = new Spool({ dir, maxBytes: 1 << 30, log });
    await spool.start();
    spool.append('m v=1 1');
    await spool.stop();
    const seg = (await readdir(dir)).find((n) => n.endsWith('.seg')) as string;
    const size = (await stat(join(dir, seg))).size;
    await appendFile(join(dir, seg), Buffer.alloc(4096));
    const again = new Spool({ dir, maxBytes: 1 << 30, log });
    await again.start();
    expect((await again.read(again.ackCursor, 10_000, 1 << 20)).batch.lines()).toEqual(['m v=1 1']);
    expect(again.stats().bytes).toBe(size);
    expect((await stat(join(dir, seg))).size).toBe(size);
    await again.stop();
  });
});
