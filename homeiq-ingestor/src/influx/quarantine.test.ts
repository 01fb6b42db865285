/**
 * The quarantine's own bounds and bookkeeping: the size limit in bytes on disk, what happens when it is full (the
 * policy in DOCS.md: dropped, counted, logged once per episode, health `quarantine` amber) and a failing disk.
 */
import { createLogger, Health, LogSecrets } from '@homeiq/shared';
import { mkdir, mkdtemp, rm, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Quarantine } from './quarantine.js';

let dir: string;
let logged: string[];
const log = () =>
  createLogger({ level: 'warning', name: 'test', secrets: new LogSecrets(), write: (l) => void logged.push(l) });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-quarantine-'));
  logged = [];
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function open(maxBytes: number) {
  const health = new Health();
  const file = join(dir, 'quarantine.jsonl');
  const q = new Quarantine({ file, maxBytes, log: log(), health });
  await q.start();
  const check = () => health.report().checks.find((c) => c.name === 'quarantine');
  return { q, file, check };
}

describe('Quarantine', () => {
  it('bounds the file in UTF-8 bytes, not UTF-16 characters', async () => {
    const { q, file } = await open(10_000);
    const line = `sensor,entity_id=sensor.küche name="${'温度'.repeat(100)}" 1`;
    for (let i = 0; i < 100; i += 1) await q.add([line], 400, 'unable to parse');
    const size = (await stat(file)).size;
    expect(size).toBeLessThanOrEqual(10_000);
    expect(q.stats().bytes).toBe(size);
    expect(q.stats().count + q.stats().dropped).toBe(100);
    expect((await q.entries(1000)).length).toBe(q.stats().count);
  });

  it('drops what does not fit: counted, logged once per episode, health amber until the user makes room', async () => {
    const { q, check } = await open(500);
    expect(check()?.status).toBe('green');
    const results = [];
    for (let i = 0; i < 10; i += 1) results.push(await q.add([`bad line ${i}`], 400, 'unable to parse'));
    const kept = q.stats().count;
    expect(kept).toBeGreaterThan(0);
    expect(q.stats().dropped).toBe(10 - kept);
    expect(results.reduce((n, r) => n + r.kept, 0)).toBe(kept);
    expect(results.reduce((n, r) => n + r.dropped, 0)).toBe(10 - kept);
    expect(logged.filter((l) => /quarantine full/.test(l))).toHaveLength(1);
    expect(check()).toMatchObject({
      status: 'amber',
      reason: expect.stringMatching(new RegExp(`${10 - kept} rejected points? dropped`)),
    });

    // What POST /api/quarantine/discard {"all":true} does: the episode ends.
    expect(await q.remove('all')).toBe(kept);
    expect(check()?.status).toBe('green');
    for (let i = 0; i < 10; i += 1) await q.add([`other bad line ${i}`], 400, 'unable to parse');
    expect(logged.filter((l) => /quarantine full/.test(l))).toHaveLength(2);
    expect(check()?.status).toBe('amber');
    // Dropped is a total since start (a Prometheus counter): it does not go back when entries are removed.
    expect(q.stats().dropped).toBe(20 - q.stats().count - kept);
  });

  it('changes nothing when the disk write fails, and keeps working once it succeeds', async () => {
    const { q, file } = await open(1 << 20);
    await mkdir(file); // open(…, 'a') fails with EISDIR: stands in for ENOSPC/EIO on the data disk
    await expect(q.add(['bad line'], 400, 'unable to parse')).rejects.toThrow(/EISDIR/);
    expect(q.stats()).toMatchObject({ count: 0, bytes: 0, dropped: 0 });
    await rmdir(file);
    await q.add(['bad line'], 400, 'unable to parse');
    expect(q.stats()).toMatchObject({ count: 1, dropped: 0 });
    expect((await q.entries()).map((e) => e.line)).toEqual(['bad line']);
  });
});
