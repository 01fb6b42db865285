import { open, readFile, rename } from 'node:fs/promises';

/**
 * The backfill's state files (`state.json`, `import.json`): written to a temporary file, fsynced and renamed, so a
 * crash leaves either the old file or the new one; a missing or unreadable file reads as undefined.
 */

export async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
