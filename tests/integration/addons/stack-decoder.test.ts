import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackDecoder } from '@homeiq/shared/stack-decoder';

describe('StackDecoder', () => {
  let dir: string;
  let stack: string;

  beforeAll(async () => {
    // A minified bundle with its map beside it, as scripts/build.ts makes them; its error's stack points into it.
    dir = await mkdtemp(join(tmpdir(), 'homeiq-stack-'));
    await writeFile(join(dir, 'thrower.ts'), 'export function boom(): never {\n  throw new Error("boom");\n}\n');
    await writeFile(join(dir, 'entry.ts'), 'import { boom } from "./thrower";\nexport function run() { boom(); }\n');
    await build({
      entryPoints: [join(dir, 'entry.ts')],
      outfile: join(dir, 'main.mjs'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      minify: true,
      sourcemap: true,
      logLevel: 'silent',
    });
    // In a plain Node process: the test runner maps stacks itself.
    const url = pathToFileURL(join(dir, 'main.mjs')).href;
    const code = `const m = await import(${JSON.stringify(url)}); try { m.run(); } catch (e) { console.log(e.stack); }`;
    stack = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }).trim();
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('maps bundle locations to the TypeScript sources through the map beside the bundle', () => {
    expect(stack).toMatch(/main\.mjs:1:\d+/);
    const decoded = new StackDecoder().decode(stack);
    expect(decoded).toMatch(/thrower\.ts:2:\d+/);
    expect(decoded).toMatch(/entry\.ts:2:\d+/);
    expect(decoded).not.toContain('main.mjs');
    expect(decoded.split('\n')[0]).toBe('Error: boom');
  });

  it('reads each map once, and leaves a stack alone when there is no map', () => {
    let reads = 0;
    const decoder = new StackDecoder((p) => {
      reads += 1;
      if (p.endsWith('main.mjs.map')) throw new Error('ENOENT');
      return '';
    });
    expect(decoder.decode(stack)).toBe(stack);
    expect(decoder.decode(stack)).toBe(stack);
    expect(reads).toBe(1);
  });
});
