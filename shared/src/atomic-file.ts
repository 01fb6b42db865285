import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode (default 0600: our files hold tokens, credentials or the user's data). */
  mode?: number;
  /**
   * Also fsync the directory after the rename, so the new name itself survives a power loss (needed when
   * something is deleted on the strength of the new content, as the spool's confirmed position is).
   */
  syncDir?: boolean;
}

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old file or the new one, whole:
 * written to `<path>.tmp`, fsynced, then renamed over `path`.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const mode = opts.mode ?? 0o600;
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.chmod(mode); // a temp file left by a crash keeps its old mode otherwise
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (opts.syncDir) {
    const d = await open(dirname(path), 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}
