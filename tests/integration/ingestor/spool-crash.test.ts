import { createLogger, LogSecrets } from '@homeiq/shared';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../../../homeiq-ingestor/src/spool/spool.js';
import { until } from '../../../dev/until.js';
import { readAll } from '../../harness/spool-read-all.js';

// The spool's durability promise against a real crash: a child process appends and reports what is fsynced, and
// is SIGKILLed at a random moment; a fresh spool on the same directory must hold at least that much, intact.
const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-spool-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Spool after a crash', () => {
  it('loses nothing it reported durable when the process is SIGKILLed mid-append', async () => {
    const bundle = join(dir, 'child.mjs');
    await build({
      entryPoints: [new URL('./spool-crash-child.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'silent',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    for (let round = 0; round < 3; round += 1) {
      const spoolDir = join(dir, `spool-${round}`);
      const child = spawn(process.execPath, [bundle, spoolDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let durable = 0;
      child.stdout.on('data', (d: Buffer) => {
        const m = /durable (\d+)\n(?![\s\S]*durable)/.exec(d.toString());
        if (m) durable = Number(m[1]);
      });
      // Kill it mid-append at a random moment once it has made something durable (its start-up takes longer on
      // a loaded machine than any fixed delay would allow for).
      await until('the child to report a durable append', () => durable > 0, 20_000);
      await new Promise((r) => setTimeout(r, Math.random() * 700));
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
      for (const [i, line] of got.entries()) expect(line).toBe(`m,k=v value=${i},s="${'x'.repeat(i % 97)}" ${i}`);
    }
  }, 60_000);
});
