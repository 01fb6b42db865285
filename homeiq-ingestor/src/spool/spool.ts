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
 *   keeping the oldest unsent data — the newest is what HA's recorder still holds for the backfill.
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

  constructor(private readonly opts: SpoolOptions) {}

  get ackCursor(): Cursor {
    return { ...this.#ack };
  }

  stats(): SpoolStats {
    return { ...this.#stats, bytes: this.#unsentBytes(), segments: this.#segments.size, full: this.#full };
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

  /** Resolves when data after `cursor` is committed (or the spool stops). */
  waitForData(cursor: Cursor): Promise<void> {
    const e = this.end;
    if (e.segment > cursor.segment || e.offset > cursor.offset) return Promise.resolve();
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
    if (this.#full && this.#unsentBytes() < this.opts.maxBytes * 0.9) this.#setFull(false);
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
        this.#segments.set(this.#active, (this.#segments.get(this.#active) ?? 0) + batch.length);
        this.#stats.committed += count;
        this.#stats.commits += 1;
        for (const w of this.#waiters.splice(0)) w();
      }
    } finally {
      this.#committing = undefined;
    }
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
      this.opts.log.error(`spool full (${this.opts.maxBytes} bytes unsent): refusing new points until InfluxDB accepts writes again; HA's recorder keeps them for the backfill`);
      this.#fullLogged = true;
    } else if (!full) {
      this.opts.log.warn(`spool has room again; ${this.#stats.refused} points were refused while it was full`);
      this.#fullLogged = false;
    }
    this.opts.onFullChange?.(full);
  }
}
