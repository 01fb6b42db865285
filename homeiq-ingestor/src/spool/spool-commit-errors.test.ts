import { Backoff, createLogger, LogSecrets } from '@homeiq/shared';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultyDisk, settledWithin } from '../../../tests/harness/faulty-disk.js';
import { readAll } from '../../../tests/harness/spool-read-all.js';
import { Spool } from './spool.js';
import { until } from '../../../dev/until.js';

let dir: string;
let logged: string[];
let unhandled: unknown[];
const onUnhandled = (err: unknown): void => void unhandled.push(err);
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-spool-err-'));
  logged = [];
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  await rm(dir, { recursive: true, force: true });
});

const log = () =>
  createLogger({ level: 'warning', name: 'test', secrets: new LogSecrets(), write: (l) => void logged.push(l) });
const lines = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `m v=${from + i} ${from + i}`);

function spoolOn(
  disk: FaultyDisk,
  extra: { segmentBytes?: number; onCommitError?: (e: string | undefined) => void } = {},
): Spool {
  return new Spool({
    dir,
    maxBytes: 1 << 30,
    log: log(),
    openSegment: disk.open,
    commitBackoff: new Backoff({ initialMs: 5, maxMs: 20 }),
    ...extra,
  });
}

async function reopened(): Promise<string[]> {
  const again = new Spool({ dir, maxBytes: 1 << 30, log: log() });
  await again.start();
  const got = await readAll(again);
  await again.stop();
  return got;
}

describe('Spool commit errors', () => {
  it('a write torn by ENOSPC is cut back and retried: nothing committed is lost, nothing duplicated, in order', async () => {
    const disk = new FaultyDisk();
    const errors: Array<string | undefined> = [];
    const spool = spoolOn(disk, { onCommitError: (e) => errors.push(e) });
    await spool.start();
    for (const l of lines(0, 10)) spool.append(l);
    await spool.sync();
    disk.fail('writev', 3);
    for (const l of lines(10, 20)) spool.append(l);
    await until('a commit error', () => spool.stats().commitError !== undefined, 1000);
    expect(spool.stats().commitError).toContain('ENOSPC');
    for (const l of lines(20, 30)) spool.append(l); // queued behind the failed ones
    expect(await settledWithin(spool.sync(), 3000)).toBe('resolved');
    expect(spool.stats()).toMatchObject({ appended: 30, committed: 30, commitError: undefined });
    expect(await readAll(spool)).toEqual(lines(0, 30));
    const seg = (await readdir(dir)).find((n) => n.endsWith('.seg')) as string;
    expect((await stat(join(dir, seg))).size).toBe(spool.end.offset); // no torn bytes left behind
    await spool.stop();
    expect(await reopened()).toEqual(lines(0, 30)); // SIGKILL here would find the same
    expect(errors).toEqual([expect.stringContaining('ENOSPC'), undefined]);
    expect(logged.filter((l) => l.includes('ENOSPC'))).toHaveLength(1); // once per distinct error, not per retry
    expect(unhandled).toEqual([]);
  });

  it('a short write (the disk filled up after part of the request, with no error) is not counted as committed', async () => {
    const disk = new FaultyDisk();
    const spool = spoolOn(disk);
    await spool.start();
    for (const l of lines(0, 10)) spool.append(l);
    await spool.sync();
    disk.fail('short', 2);
    for (const l of lines(10, 20)) spool.append(l);
    await until('a commit error', () => spool.stats().commitError !== undefined, 1000);
    expect(spool.stats().commitError).toContain('short write');
    expect(await settledWithin(spool.sync(), 3000)).toBe('resolved');
    expect(spool.stats()).toMatchObject({ appended: 20, committed: 20, commitError: undefined });
    expect(await readAll(spool)).toEqual(lines(0, 20));
    const seg = (await readdir(dir)).find((n) => n.endsWith('.seg')) as string;
    expect((await stat(join(dir, seg))).size).toBe(spool.end.offset);
    await spool.stop();
    expect(await reopened()).toEqual(lines(0, 20));
    expect(unhandled).toEqual([]);
  });

  it('a write that fails after all its bytes reached the file (EIO flushing them) is retried without duplicating the records', async () => {
    const disk = new FaultyDisk();
    const spool = spoolOn(disk);
    await spool.start();
    for (const l of lines(0, 5)) spool.append(l);
    await spool.sync();
    disk.fail('sync', 2);
    const writes = disk.calls.writev;
    for (const l of lines(5, 15)) spool.append(l);
    expect(await settledWithin(spool.sync(), 3000)).toBe('resolved');
    expect(disk.calls.writev - writes).toBeGreaterThanOrEqual(3);
    expect(await readAll(spool)).toEqual(lines(0, 15));
    await spool.stop();
    expect(await reopened()).toEqual(lines(0, 15));
    expect(unhandled).toEqual([]);
  });

  it('sync() waits while the disk keeps failing, and resolves once the records are committed', async () => {
    const disk = new FaultyDisk();
    const spool = spoolOn(disk);
    await spool.start();
    disk.fail('writev', Number.POSITIVE_INFINITY);
    for (const l of lines(0, 10)) spool.append(l);
    const synced = spool.sync();
    expect(await settledWithin(synced, 200)).toBe('pending');
    expect(disk.calls.writev).toBeGreaterThan(2); // retried meanwhile
    expect(spool.stats()).toMatchObject({ committed: 0 });
    disk.heal();
    expect(await settledWithin(synced, 3000)).toBe('resolved');
    expect(spool.stats()).toMatchObject({ committed: 10, commitError: undefined });
    await spool.stop();
    expect(await reopened()).toEqual(lines(0, 10));
    expect(unhandled).toEqual([]);
  });

  it('stop while the disk keeps failing: one last try, then stop and a waiting sync() reject, saying how many points', async () => {
    const disk = new FaultyDisk();
    const spool = spoolOn(disk);
    await spool.start();
    for (const l of lines(0, 3)) spool.append(l);
    await spool.sync();
    disk.fail('writev', Number.POSITIVE_INFINITY);
    for (const l of lines(3, 10)) spool.append(l);
    const synced = spool.sync().then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    await until('a commit error', () => spool.stats().commitError !== undefined, 1000);
    const stopped = spool.stop();
    expect(await settledWithin(stopped, 2000)).toBe('rejected');
    await expect(stopped).rejects.toThrow(/7 points/);
    expect(await synced).toMatch(/7 points/);
    expect(spool.append('m v=99 99')).toBe(false);
    // Everything committed, in order; whole records of the torn write may survive too (as after a SIGKILL mid-commit).
    const got = await reopened();
    expect(got.length).toBeGreaterThanOrEqual(3);
    expect(got).toEqual(lines(0, got.length));
    expect(unhandled).toEqual([]);
  });

  it('a rotation whose open fails keeps no closed handle and commits everything once the disk is back', async () => {
    const disk = new FaultyDisk();
    const spool = spoolOn(disk, { segmentBytes: 100 });
    await spool.start();
    for (const l of lines(0, 6)) spool.append(l);
    await spool.sync();
    disk.fail('open', 3);
    for (const l of lines(6, 40)) spool.append(l);
    expect(await settledWithin(spool.sync(), 3000)).toBe('resolved');
    expect(disk.calls.open).toBeGreaterThan(4);
    expect(await readAll(spool)).toEqual(lines(0, 40));
    await spool.stop();
    expect(await reopened()).toEqual(lines(0, 40));
    expect(unhandled).toEqual([]);
  });
});
