import { parseJson, writeFileAtomic } from '@homeiq/shared';
import { readFile } from 'node:fs/promises';

/**
 * The backfill's state files (`state.json`, `import.json`): written to a temporary file, fsynced and renamed, so a
 * crash leaves either the old file or the new one; a missing or unreadable file reads as undefined. The directory
 * is fsynced too: the rename itself must be durable before a later write (import.json after state.json) is.
 */

export function writeAtomic(path: string, data: string): Promise<void> {
  return writeFileAtomic(path, data, { syncDir: true });
}

export async function readJson(path: string): Promise<unknown> {
  try {
    return parseJson(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}
