import { createLogger, LogSecrets } from '@homeiq/shared';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, type Cursor } from './spool.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(spool: Spool, from: Cursor = spool.ackCursor): Promise<string[]> {
  const out: string[] = [];
  let cur = from;
  for (;;) {
    const { records, next } = await spool.read(cur, 1000, 1 << 20);
    if (records.length === 0) return out;
    out.push(...records);
    cur = next;
  }
}

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
      records.push(...r.records);
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

  it('ignores a garbage ack file rather than failing to start', async () => {
    await writeFile(join(dir, 'ack.json'), 'not json');
    const spool = new Spool({ dir, maxBytes: 1 << 30, log });
    await spool.start();
    spool.append('m v=1 1');
    await spool.sync();
    expect(await readAll(spool)).toEqual(['m v=1 1']);
    await spool.stop();
  });

  it('loses nothing it reported durable when the process is SIGKILLed mid-append', async () => {
    const bundle = join(dir, 'child.mjs');
    await build({ entryPoints: [new URL('./spool-crash-child.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
    for (let round = 0; round < 3; round += 1) {
      const spoolDir = join(dir, `spool-${round}`);
      const child = spawn(process.execPath, [bundle, spoolDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let durable = 0;
      child.stdout.on('data', (d: Buffer) => {
        const m = /durable (\d+)\n(?![\s\S]*durable)/.exec(d.toString());
        if (m) durable = Number(m[1]);
      });
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      expect(durable).toBeGreaterThan(0);
      const spool = new Spool({ dir: spoolDir, maxBytes: 1 << 30, log });
      await spool.start();
      const got = await readAll(spool);
      await spool.stop();
      expect(got.length).toBeGreaterThanOrEqual(durable);
      // Every record intact and in order: exactly 0..n-1.
      got.forEach((line, i) => expect(line).toBe(`m,k=v value=${i},s="${'x'.repeat(i % 97)}" ${i}`));
    }
  }, 60_000);
});
