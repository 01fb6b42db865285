import type { Logger, Service } from '@homeiq/shared';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { frameInto, framedLength, HEADER_BYTES, MAX_RECORD_BYTES, parseRecords } from './format.js';

/** A position in the spool: segment number and byte offset in it. */
export interface Cursor {
  segment: number;
  offset: number;
}

export interface SpoolOptions {
  dir: string;
  /** Unsent bytes on disk (plus not yet committed) beyond which new points are refused. */
  maxBytes: number;
  segmentBytes?: number;
  log: Logger;
  /** Called when the spool becomes full or has room again. */
  onFullChange?(full: boolean): void;
  /**
   * Framed bytes of the most recently committed records kept in memory, so a reader keeping up is served
   * without reading its own writes back from disk (default 16 MiB; 0 turns it off).
   */
  tailBytes?: number;
}

/** Reads served from the in-memory tail and from disk (for tests and the bench). */
export interface SpoolReadStats {
  memory: number;
  disk: number;
  /** Framed bytes held in the tail now. */
  tailBytes: number;
}

/**
 * One group commit kept in memory after its fsync: its lines and where each starts in its segment
 * (`starts[i]`, with `starts[lines.length]` = the end of the commit).
 */
interface TailChunk {
  segment: number;
  lines: string[];
  starts: number[];
}

export interface SpoolStats {
  appended: number;
  committed: number;
  refused: number;
  /** Unsent bytes: on disk after the ack position, plus waiting to be committed. */
  bytes: number;
  segments: number;
  full: boolean;
  commits: number;
}

const SEGMENT = /^(\d{16})\.seg$/;
const segName = (n: number): string => `${String(n).padStart(16, '0')}.seg`;

/**
 * Durable append-only spool of encoded points in `<data dir>/spool/`.
 *
 * - `append()` never waits: it queues the framed record and a group commit writes every queued record with one
 *   write and one fdatasync. A point counts as ingested (`committed`) only after its fsync.
 * - Readers read committed records from a cursor; `ack()` persists the position InfluxDB confirmed (atomic
 *   rename) and deletes whole segments before it. After a crash reading resumes from the ack: a point is sent
 *   at least once, and rewriting it is idempotent (same series, same timestamp).
 * - Full policy: when unsent bytes reach `maxBytes`, new points are refused (counted, health red, logged),
 *   keeping the oldest unsent data; refused points are not recovered automatically (a history import of those days
 *   can re-write states from HA's recorder while it still holds them).
 */
export class Spool implements Service {
  readonly name = 'spool';
  /** Lines waiting for the next group commit, and their framed sizes: framed into one buffer per commit. */
  #pending: string[] = [];
  #pendingSizes: number[] = [];
  #pendingBytes = 0;
  #committing: Promise<void> | undefined;
  #fh: FileHandle | undefined;
  /** Committed size of every segment on disk, oldest first. */
  #segments = new Map<number, number>();
  #active = 0;
  #ack: Cursor = { segment: 0, offset: 0 };
  #waiters: Array<() => void> = [];
  /** One shared promise for "new data", so an idle reader polling it cannot pile up waiters. */
  #dataSignal: Promise<void> | undefined;
  #full = false;
  #fullLogged = false;
  readonly #stats = { appended: 0, committed: 0, refused: 0, commits: 0 };
  /** Recent group commits, oldest first, contiguous (see SpoolOptions.tailBytes); only ever fsynced records. */
  #tail: TailChunk[] = [];
  #tailBytes = 0;
  readonly #reads = { memory: 0, disk: 0 };

  constructor(private readonly opts: SpoolOptions) {}

  get ackCursor(): Cursor {
    return { ...this.#ack };
  }

  stats(): SpoolStats {
    return { ...this.#stats, bytes: this.#unsentBytes(), segments: this.#segments.size, full: this.#full };
  }

  readStats(): SpoolReadStats {
    return { ...this.#reads, tailBytes: this.#tailBytes };
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    try {
      this.#ack = JSON.parse(await readFile(join(this.opts.dir, 'ack.json'), 'utf8')) as Cursor;
    } catch {
      this.#ack = { segment: 0, offset: 0 };
    }
    const names = (await readdir(this.opts.dir)).filter((n) => SEGMENT.test(n)).sort();
    for (const n of names) this.#segments.set(Number(SEGMENT.exec(n)?.[1]), (await stat(join(this.opts.dir, n))).size);
    for (const seq of this.#segments.keys()) if (seq < this.#ack.segment) await this.#deleteSegment(seq);
    const last = [...this.#segments.keys()].at(-1);
    this.#active = Math.max(last ?? 1, this.#ack.segment, 1);
    if (last !== undefined) await this.#repairTail(last);
    this.#fh = await open(join(this.opts.dir, segName(this.#active)), 'a');
    if (!this.#segments.has(this.#active)) this.#segments.set(this.#active, 0);
    if (this.#ack.segment === 0) this.#ack = { segment: [...this.#segments.keys()][0] ?? this.#active, offset: 0 };
    const unsent = this.#unsentBytes();
    if (unsent > 0) this.opts.log.info(`spool holds ${unsent} unsent bytes from before the restart; sending them first`);
  }

  async stop(): Promise<void> {
    await this.sync();
    await this.#fh?.close();
    this.#fh = undefined;
    this.#tail = [];
    this.#tailBytes = 0;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Queues one point for the next group commit; false when the spool is full and the point was refused. */
  append(line: string): boolean {
    const size = framedLength(line);
    if (size > MAX_RECORD_BYTES || this.#unsentBytes() + size > this.opts.maxBytes) {
      this.#stats.refused += 1;
      this.#setFull(true);
      return false;
    }
    this.#pending.push(line);
    this.#pendingSizes.push(size);
    this.#pendingBytes += size;
    this.#stats.appended += 1;
    this.#committing ??= this.#commitLoop();
    return true;
  }

  /** Resolves once everything appended before the call is on disk (fsynced). */
  async sync(): Promise<void> {
    while (this.#committing) await this.#committing;
  }

  /** The end of committed data. */
  get end(): Cursor {
    return { segment: this.#active, offset: this.#segments.get(this.#active) ?? 0 };
  }

  /**
   * Committed records from `from`, at most `maxRecords` and about `maxBytes` of payload (at least one record),
   * from one segment at a time: a caller wanting more reads again from `next`.
   */
  async read(from: Cursor, maxRecords: number, maxBytes: number): Promise<{ records: string[]; next: Cursor }> {
    let cur = { ...from };
    for (;;) {
      const size = this.#segments.get(cur.segment);
      if (size !== undefined && cur.offset < size) break;
      const next = [...this.#segments.keys()].find((s) => s > cur.segment);
      if (next === undefined) return { records: [], next: cur };
      cur = { segment: next, offset: 0 };
    }
    const fromTail = this.#readTail(cur, maxRecords, maxBytes + maxRecords * HEADER_BYTES);
    if (fromTail) {
      this.#reads.memory += 1;
      return fromTail;
    }
    this.#reads.disk += 1;
    const size = this.#segments.get(cur.segment) as number;
    const fh = await open(join(this.opts.dir, segName(cur.segment)), 'r');
    try {
      let want = Math.min(size - cur.offset, maxBytes + maxRecords * HEADER_BYTES);
      for (;;) {
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, cur.offset);
        const parsed = parseRecords(buf.subarray(0, bytesRead), maxRecords, maxBytes + maxRecords * HEADER_BYTES);
        if (parsed.records.length > 0) return { records: parsed.records, next: { segment: cur.segment, offset: cur.offset + parsed.consumed } };
        if (parsed.corrupt || want >= size - cur.offset) throw new Error(`spool segment ${segName(cur.segment)} is corrupt at offset ${cur.offset}`);
        want = Math.min(size - cur.offset, HEADER_BYTES + buf.readUInt32LE(0));
      }
    } finally {
      await fh.close();
    }
  }

  /**
   * `read()` from the in-memory tail, with the disk path's limits (at most `maxRecords`, and records while the
   * framed bytes from `cur` stay within `limit`, at least one), or undefined when `cur` is not a record start
   * in the tail. Continues into the next commit while it follows on in the same segment.
   */
  #readTail(cur: Cursor, maxRecords: number, limit: number): { records: string[]; next: Cursor } | undefined {
    const tail = this.#tail;
    let c = tail.length - 1;
    // Readers keeping up read from the newest commits: search from the end.
    while (c >= 0) {
      const ch = tail[c] as TailChunk;
      if (ch.segment === cur.segment && (ch.starts[0] as number) <= cur.offset && cur.offset < (ch.starts[ch.lines.length] as number)) break;
      if (ch.segment < cur.segment) return undefined;
      c -= 1;
    }
    if (c < 0) return undefined;
    let ch = tail[c] as TailChunk;
    let i = startIndex(ch.starts, cur.offset, ch.lines.length);
    if (i < 0) return undefined; // not a record boundary: let the disk path judge it
    const records: string[] = [];
    const base = cur.offset;
    let pos = cur.offset;
    for (;;) {
      const n = ch.lines.length;
      while (i < n && records.length < maxRecords) {
        const end = ch.starts[i + 1] as number;
        if (records.length > 0 && end - base > limit) return { records, next: { segment: cur.segment, offset: pos } };
        records.push(ch.lines[i] as string);
        pos = end;
        i += 1;
      }
      if (records.length >= maxRecords) break;
      const after = tail[c + 1];
      if (after === undefined || after.segment !== cur.segment || after.starts[0] !== pos) break;
      c += 1;
      ch = after;
      i = 0;
    }
    return { records, next: { segment: cur.segment, offset: pos } };
  }

  /** Keeps a committed batch in the tail and evicts the oldest commits beyond the bound. */
  #remember(segment: number, start: number, lines: string[], sizes: number[]): void {
    const max = this.opts.tailBytes ?? 16 * 1024 * 1024;
    if (max <= 0) return;
    const starts = new Array<number>(lines.length + 1);
    let pos = start;
    for (let i = 0; i < lines.length; i += 1) {
      starts[i] = pos;
      pos += sizes[i] as number;
    }
    starts[lines.length] = pos;
    this.#tail.push({ segment, lines, starts });
    this.#tailBytes += pos - start;
    let drop = 0;
    while (this.#tailBytes > max && drop < this.#tail.length) {
      const old = this.#tail[drop] as TailChunk;
      this.#tailBytes -= (old.starts[old.lines.length] as number) - (old.starts[0] as number);
      drop += 1;
    }
    if (drop > 0) this.#tail.splice(0, drop);
  }

  /** Resolves when data after `cursor` is committed (or the spool stops). */
  waitForData(cursor: Cursor): Promise<void> {
    // Resolved only when read(cursor) finds a record: "end is past the cursor" is not enough right after a
    // rotation (the new segment is still empty), and a reader looping on read → waitForData without any I/O
    // in between would spin in microtasks, starving the very commit it waits for (seen in the ingest bench).
    if (this.#hasDataAfter(cursor)) return Promise.resolve();
    this.#dataSignal ??= new Promise<void>((resolve) => this.#waiters.push(resolve)).finally(() => {
      this.#dataSignal = undefined;
    });
    return this.#dataSignal;
  }

  /** Persists `cursor` as confirmed by InfluxDB and deletes the segments wholly before it. */
  async ack(cursor: Cursor): Promise<void> {
    const tmp = join(this.opts.dir, 'ack.json.tmp');
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(cursor));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.opts.dir, 'ack.json'));
    await this.#syncDir();
    this.#ack = { ...cursor };
    for (const seq of [...this.#segments.keys()]) if (seq < cursor.segment) await this.#deleteSegment(seq);
    this.#dropTailBefore(cursor.segment);
    if (this.#full && this.#unsentBytes() < this.opts.maxBytes * 0.9) this.#setFull(false);
  }

  #hasDataAfter(c: Cursor): boolean {
    for (const [seq, size] of this.#segments) if (seq > c.segment ? size > 0 : seq === c.segment && size > c.offset) return true;
    return false;
  }

  #unsentBytes(): number {
    let total = this.#pendingBytes;
    for (const [seq, size] of this.#segments) if (seq >= this.#ack.segment) total += seq === this.#ack.segment ? size - this.#ack.offset : size;
    return total;
  }

  async #commitLoop(): Promise<void> {
    try {
      while (this.#pending.length > 0 && this.#fh) {
        const segmentBytes = this.opts.segmentBytes ?? 8 * 1024 * 1024;
        if ((this.#segments.get(this.#active) ?? 0) >= segmentBytes) await this.#rotate();
        // Take what fits in the active segment (at least one record), so segments stay near their size.
        const room = segmentBytes - (this.#segments.get(this.#active) ?? 0);
        let count = 0;
        let size = 0;
        const sizes = this.#pendingSizes;
        while (count < sizes.length && (count === 0 || size + (sizes[count] as number) <= room)) {
          size += sizes[count] as number;
          count += 1;
        }
        const taken = this.#pending.splice(0, count);
        const takenSizes = sizes.splice(0, count);
        // One buffer per commit, framed in place (no Buffer per record, no concat copy).
        const batch = Buffer.allocUnsafeSlow(size);
        let pos = 0;
        for (let i = 0; i < count; i += 1) {
          const framed = takenSizes[i] as number;
          frameInto(batch, pos, taken[i] as string, framed);
          pos += framed;
        }
        await this.#fh.write(batch, 0, batch.length, null);
        await this.#fh.datasync();
        this.#pendingBytes -= batch.length;
        const start = this.#segments.get(this.#active) ?? 0;
        // Readable only now, after the fsync: from memory as from disk.
        this.#remember(this.#active, start, taken, takenSizes);
        this.#segments.set(this.#active, start + batch.length);
        this.#stats.committed += count;
        this.#stats.commits += 1;
        for (const w of this.#waiters.splice(0)) w();
      }
    } finally {
      this.#committing = undefined;
    }
  }

  /** Forgets tail commits of segments wholly acknowledged (deleted from disk). */
  #dropTailBefore(segment: number): void {
    let drop = 0;
    while (drop < this.#tail.length && (this.#tail[drop] as TailChunk).segment < segment) {
      const old = this.#tail[drop] as TailChunk;
      this.#tailBytes -= (old.starts[old.lines.length] as number) - (old.starts[0] as number);
      drop += 1;
    }
    if (drop > 0) this.#tail.splice(0, drop);
  }

  async #rotate(): Promise<void> {
    await this.#fh?.close();
    this.#active += 1;
    this.#fh = await open(join(this.opts.dir, segName(this.#active)), 'a');
    this.#segments.set(this.#active, 0);
    await this.#syncDir();
  }

  /** After a crash the last segment may end in a torn record: cut it off at the last valid one. */
  async #repairTail(seq: number): Promise<void> {
    const path = join(this.opts.dir, segName(seq));
    const buf = await readFile(path);
    const { consumed } = parseRecords(buf);
    if (consumed < buf.length) {
      this.opts.log.warn(`spool segment ${segName(seq)} ended in ${buf.length - consumed} bytes of a torn record (never acknowledged); truncating`);
      const fh = await open(path, 'r+');
      await fh.truncate(consumed);
      await fh.sync();
      await fh.close();
    }
    this.#segments.set(seq, consumed);
  }

  async #deleteSegment(seq: number): Promise<void> {
    this.#segments.delete(seq);
    await rm(join(this.opts.dir, segName(seq)), { force: true });
  }

  async #syncDir(): Promise<void> {
    const d = await open(this.opts.dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  #setFull(full: boolean): void {
    if (this.#full === full) return;
    this.#full = full;
    if (full && !this.#fullLogged) {
      this.opts.log.error(`spool full (${this.opts.maxBytes} bytes unsent): refusing new points until InfluxDB accepts writes again; refused points are counted and not written later`);
      this.#fullLogged = true;
    } else if (!full) {
      this.opts.log.warn(`spool has room again; ${this.#stats.refused} points were refused while it was full`);
      this.#fullLogged = false;
    }
    this.opts.onFullChange?.(full);
  }
}

/** Index of the record starting at `offset` in a commit's `starts` (binary search), or -1 when none does. */
function startIndex(starts: number[], offset: number, n: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = starts[mid] as number;
    if (v === offset) return mid;
    if (v < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
