import type { Logger } from '@homeiq/shared';
import { constants } from 'node:fs';
import { open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch } from './batch.js';
import { HEADER_BYTES, parseRecords } from './format.js';

/**
 * What a group commit does with the segment it appends to. Its `writev` is durable when it resolves: the file is
 * opened with O_DSYNC, so each write returns once its data (and the size that makes it readable) is on the disk,
 * as a write followed by fdatasync would, in one system call and one trip to libuv's thread pool instead of two.
 */
export type SegmentFile = Pick<FileHandle, 'writev' | 'datasync' | 'truncate' | 'close'>;
/** Opens (creating) a segment for appending: the real file in production, one that fails on cue in tests. */
export type OpenSegment = (path: string) => Promise<SegmentFile>;
export const openForAppend: OpenSegment = (path) =>
  open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC);

export const SEGMENT = /^(\d{16})\.seg$/;
export const segName = (n: number): string => `${String(n).padStart(16, '0')}.seg`;

/**
 * The segment group commits append to. Its file is trusted to end at the committed size only while its handle
 * is open and nothing on it has failed: a failed open, write or fdatasync drops the handle, and the next append
 * opens the file again and cuts it back to the committed size (fsynced) before writing. So the bytes of a failed
 * commit (torn by ENOSPC, or written but not fsynced after EIO) never sit between committed records, where a
 * restart would cut at them and lose what followed.
 */
export class SegmentWriter {
  #fh: SegmentFile | undefined;
  #seq = 0;

  constructor(
    private readonly dir: string,
    private readonly openSegment: OpenSegment,
  ) {}

  /** Opens segment `seq` (closing another), cut to its committed `size`; throws as the file system does. */
  async open(seq: number, size: number): Promise<void> {
    await this.close();
    const fh = await this.openSegment(join(this.dir, segName(seq)));
    try {
      await fh.truncate(size);
      await fh.datasync();
      // The directory entry of a new segment must be durable before any record in it counts as committed.
      await syncDir(this.dir);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    this.#fh = fh;
    this.#seq = seq;
  }

  /**
   * Appends `bufs` to segment `seq`, which holds `size` committed bytes, durably (O_DSYNC); throws on failure,
   * a short write included (a disk filling up writes part of a request and says so only in the count).
   */
  async append(seq: number, size: number, bufs: Buffer[]): Promise<void> {
    try {
      if (this.#fh === undefined || this.#seq !== seq) await this.open(seq, size);
      const fh = this.#fh as SegmentFile;
      let want = 0;
      for (const b of bufs) want += b.length;
      const { bytesWritten } = await fh.writev(bufs);
      if (bytesWritten !== want)
        throw Object.assign(new Error(`ENOSPC: short write, ${bytesWritten} of ${want} bytes written`), {
          code: 'ENOSPC',
        });
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * Drops the handle. A close error is ignored: committed bytes are fsynced already, and whatever a failed
   * commit left is cut off when the file is opened again (or at the next start, see `repairTail`).
   */
  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close().catch(() => undefined);
  }
}

/** Segment number → size of every segment file in `dir`, oldest first. */
export async function listSegments(dir: string): Promise<Map<number, number>> {
  const segments = new Map<number, number>();
  for (const n of (await readdir(dir)).filter((f) => SEGMENT.test(f)).sort())
    segments.set(Number(SEGMENT.exec(n)?.[1]), (await stat(join(dir, n))).size);
  return segments;
}

/**
 * Records of segment `seq` (committed `size` bytes) from `offset`, with the limits of Spool.read (at most
 * `maxRecords`, framed bytes within `limit`, at least one record); `consumed`: the bytes they take.
 */
export async function readSegment(
  dir: string,
  seq: number,
  offset: number,
  size: number,
  maxRecords: number,
  limit: number,
): Promise<{ batch: RecordBatch; consumed: number }> {
  const fh = await open(join(dir, segName(seq)), 'r');
  try {
    let want = Math.min(size - offset, limit);
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, offset);
      const parsed = parseRecords(buf.subarray(0, bytesRead), maxRecords, limit);
      if (parsed.batch.count > 0) return { batch: parsed.batch, consumed: parsed.consumed };
      if (parsed.corrupt || want >= size - offset)
        throw new Error(`spool segment ${segName(seq)} is corrupt at offset ${offset}`);
      // The first record is larger than `limit`: read exactly that one.
      want = Math.min(size - offset, HEADER_BYTES + buf.readUInt32LE(0));
    }
  } finally {
    await fh.close();
  }
}

/**
 * After a crash (or a commit that failed before the process ended) the last segment may end in a torn record,
 * or in zeros after a power loss: cuts it at the last valid record; returns the valid length.
 */
export async function repairTail(dir: string, seq: number, log: Logger): Promise<number> {
  const path = join(dir, segName(seq));
  const buf = await readFile(path);
  const { consumed } = parseRecords(buf);
  if (consumed < buf.length) {
    log.warn(
      `spool segment ${segName(seq)} ended in ${buf.length - consumed} bytes of a torn record (never acknowledged); truncating`,
    );
    const fh = await open(path, 'r+');
    try {
      await fh.truncate(consumed);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  return consumed;
}

export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
