import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole, 0600 by default, leaving no temporary file', async () => {
    const path = join(dir, 'a.json');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeFile(`${path}.tmp`, 'left by a crash', { mode: 0o666 });
    await writeFileAtomic(path, '{"new":true}', { syncDir: true });
    expect(await readFile(path, 'utf8')).toBe('{"new":true}');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('takes bytes and another mode', async () => {
    const path = join(dir, 'b.bin');
    await writeFileAtomic(path, Buffer.from([1, 2, 3]), { mode: 0o640 });
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });
});
