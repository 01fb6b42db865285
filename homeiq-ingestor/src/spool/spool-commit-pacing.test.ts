import { createLogger, LogSecrets } from '@homeiq/shared';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settledWithin } from '../../../tests/harness/faulty-disk.js';
import { readAll } from '../../../tests/harness/spool-read-all.js';
import { Spool } from './spool.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Far longer than anything below takes, so "waits for the interval" and "did not wait" cannot be confused. */
const INTERVAL_MS = 20_000;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-spool-pacing-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Spool commit pacing', () => {
  it('commits at most once per commitIntervalMs while little is queued; a backlog, a lone record and a stop at once', async () => {
    const spool = new Spool({ dir, maxBytes: 1 << 30, log, commitIntervalMs: INTERVAL_MS });
    await spool.start();
    // A lone record after a quiet spell does not wait.
    spool.append('m v=0 0');
    expect(await settledWithin(spool.sync(), INTERVAL_MS / 4)).toBe('resolved');
    expect(spool.stats()).toMatchObject({ commits: 1, committed: 1 });

    // Records trickling in wait for the interval, all for one commit.
    for (let i = 1; i <= 10; i += 1) {
      spool.append(`m v=${i} ${i}`);
      await sleep(10);
    }
    expect(await settledWithin(spool.sync(), 500)).toBe('pending');
    expect(spool.stats()).toMatchObject({ commits: 1, committed: 1, appended: 11 });

    // A backlog (64 KiB queued) is committed at once, with what waited before it.
    const big = `m text="${'x'.repeat(1000)}"`;
    for (let i = 0; i < 70; i += 1) spool.append(big);
    expect(await settledWithin(spool.sync(), INTERVAL_MS / 4)).toBe('resolved');
    expect(spool.stats()).toMatchObject({ commits: 2, committed: 81 });

    // A stop commits what waits without waiting for the interval.
    spool.append('m v=last 1');
    expect(await settledWithin(spool.stop(), INTERVAL_MS / 4)).toBe('resolved');
    const again = new Spool({ dir, maxBytes: 1 << 30, log });
    await again.start();
    const lines = await readAll(again);
    expect(lines).toHaveLength(82);
    expect(lines.at(-1)).toBe('m v=last 1');
    await again.stop();
  });
});
