/**
 * Test helper (not part of the add-on): real segment files, through the spool's `openSegment` seam, whose next
 * operations can be made to fail the way a full or failing disk does, or be held until a test lets them go.
 */
import { open, type FileHandle } from 'node:fs/promises';

/**
 * `writev` fails as a full disk does (part of the bytes written, ENOSPC); `short` writes part of the bytes and says
 * so only in the count, as Node's writev does when the disk fills up after some of a request reached it (libuv
 * returns the bytes written before the error, not the error); `sync` fails a write after all its bytes
 * reached the file, as a disk failing to flush them does (EIO from an O_DSYNC write, the segments' mode);
 * `datasync` fails the fdatasync of opening a segment.
 */
type Op = 'open' | 'writev' | 'short' | 'sync' | 'datasync';
type SegmentFile = Pick<FileHandle, 'writev' | 'datasync' | 'truncate' | 'close'>;

const diskError = (code: string, op: string): Error =>
  Object.assign(new Error(`${code}: simulated disk error, ${op}`), { code });

export class FaultyDisk {
  /** Failures still to come, per operation (Infinity: until cleared). */
  readonly failures = new Map<Op, number>();
  /** A failing writev first writes this share of its bytes (a disk filling up mid-write). */
  partialShare = 0.5;
  /** While set, every writev waits for it (a commit held in flight). */
  hold: Promise<void> | undefined;
  /** How many writev calls are waiting on `hold` now. */
  held = 0;
  readonly calls: Record<Exclude<Op, 'short' | 'sync'>, number> = { open: 0, writev: 0, datasync: 0 };

  fail(op: Op, times = 1): void {
    this.failures.set(op, times);
  }

  heal(): void {
    this.failures.clear();
  }

  /** The `openSegment` option. */
  readonly open = async (path: string): Promise<SegmentFile> => {
    this.#count('open');
    if (this.#take('open')) throw diskError('EMFILE', 'open');
    const fh = await open(path, 'a');
    return {
      writev: async (bufs: NodeJS.ArrayBufferView[]) => {
        this.#count('writev');
        if (this.hold) {
          this.held += 1;
          await this.hold;
          this.held -= 1;
        }
        if (this.#take('writev')) {
          const all = Buffer.concat(bufs.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
          await fh.writev([all.subarray(0, Math.floor(all.length * this.partialShare))]);
          throw diskError('ENOSPC', 'write');
        }
        if (this.#take('short')) {
          const all = Buffer.concat(bufs.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
          const { bytesWritten } = await fh.writev([all.subarray(0, Math.floor(all.length * this.partialShare))]);
          return { bytesWritten, buffers: bufs };
        }
        const written = await fh.writev(bufs);
        if (this.#take('sync')) throw diskError('EIO', 'write (O_DSYNC)');
        return written;
      },
      datasync: async () => {
        this.#count('datasync');
        if (this.#take('datasync')) throw diskError('EIO', 'fdatasync');
        return fh.datasync();
      },
      truncate: (len?: number) => fh.truncate(len),
      close: () => fh.close(),
    } as SegmentFile;
  };

  #count(op: Exclude<Op, 'short' | 'sync'>): void {
    this.calls[op] += 1;
  }

  #take(op: Op): boolean {
    const left = this.failures.get(op) ?? 0;
    if (left <= 0) return false;
    this.failures.set(op, left - 1);
    return true;
  }
}

/** `p` settled within `ms`: 'resolved', 'rejected', or 'pending'. */
export async function settledWithin(p: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  return Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms)),
  ]);
}
