import type { Logger, Service } from '@homeiq/shared';
import { mkdir, open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AckFile, type Cursor } from './ack-file.js';
import { RecordBatch } from './batch.js';
import { HEADER_BYTES, parseRecords } from './format.js';
import { PendingRecords } from './pending.js';
import { SpoolTail } from './tail.js';

export type { Cursor } from './ack-file.js';

export interface SpoolOptions {
  dir: string;
  /** Unsent bytes on disk (plus not yet committed) beyond which new points are refused. */
  maxBytes: number;
  segmentBytes?: number;
  log: Logger;
  /** The confirmed position is saved at most this often (default 1000 ms; see AckFile). */
  ackSaveMs?: number;
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
 * - Readers read committed records from a cursor; `ack()` takes the position InfluxDB confirmed, deletes whole
 *   segments before it and saves it (ack.json, at most every `ackSaveMs`, and at stop). After a crash reading
 *   resumes from the saved position: a point is sent at least once, and rewriting it is idempotent (same series,
 *   same timestamp).
 * - Full policy: when unsent bytes reach `maxBytes`, new points are refused (counted, health red, logged),
 *   keeping the oldest unsent data. The state changes among them are recovered from HA's recorder once there is
 *   room (onFullChange drives SpoolRefill, backfill/spool-refill.ts); other refused points (ha_events,
 *   self-telemetry) are lost.
 */
export class Spool implements Service {
  readonly name = 'spool';
  /** Records waiting for the next group commit, already framed. */
  readonly #pending = new PendingRecords();
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
  /** Recent group commits (see SpoolOptions.tailBytes). */
  readonly #tail: SpoolTail;
  readonly #ackFile: AckFile;
  /** Committed bytes of every segment on disk (kept as a sum: `append` asks for the unsent bytes every time). */
  #diskBytes = 0;
  readonly #reads = { memory: 0, disk: 0 };

  constructor(private readonly opts: SpoolOptions) {
    this.#tail = new SpoolTail(opts.tailBytes ?? 16 * 1024 * 1024);
    this.#ackFile = new AckFile(opts.dir, opts.ackSaveMs ?? 1000, (err) => opts.log.error({ err }, 'cannot save the spool position confirmed by InfluxDB; retrying with the next confirmation'));
  }

  get ackCursor(): Cursor {
    return { ...this.#ack };
  }

  stats(): SpoolStats {
    return { ...this.#stats, bytes: this.#unsentBytes(), segments: this.#segments.size, full: this.#full };
  }

  readStats(): SpoolReadStats {
    return { ...this.#reads, tailBytes: this.#tail.bytes };
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    this.#ack = (await this.#ackFile.load()) ?? { segment: 0, offset: 0 };
    const names = (await readdir(this.opts.dir)).filter((n) => SEGMENT.test(n)).sort();
    for (const n of names) {
      const size = (await stat(join(this.opts.dir, n))).size;
      this.#segments.set(Number(SEGMENT.exec(n)?.[1]), size);
      this.#diskBytes += size;
    }
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
    await this.#ackFile.flush();
    await this.#fh?.close();
    this.#fh = undefined;
    this.#tail.clear();
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Queues one point for the next group commit; false when the spool is full and the point was refused. */
  append(line: string): boolean {
    const size = this.#pending.append(line, this.opts.maxBytes - this.#unsentBytes());
    if (size === undefined) {
      this.#stats.refused += 1;
      this.#setFull(true);
      return false;
    }
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
   * from one segment at a time: a caller wanting more reads again from `next`. The records come as the lines
   * of a request body (see RecordBatch).
   */
  async read(from: Cursor, maxRecords: number, maxBytes: number): Promise<{ batch: RecordBatch; next: Cursor }> {
    let cur = { ...from };
    for (;;) {
      const size = this.#segments.get(cur.segment);
      if (size !== undefined && cur.offset < size) break;
      const next = [...this.#segments.keys()].find((s) => s > cur.segment);
      if (next === undefined) return { batch: RecordBatch.EMPTY, next: cur };
      cur = { segment: next, offset: 0 };
    }
    const size = this.#segments.get(cur.segment) as number;
    const limit = maxBytes + maxRecords * HEADER_BYTES;
    const fromTail = this.#tail.read(cur.segment, cur.offset, maxRecords, limit, size - cur.offset);
    if (fromTail) {
      this.#reads.memory += 1;
      return { batch: fromTail.batch, next: { segment: cur.segment, offset: fromTail.next } };
    }
    this.#reads.disk += 1;
    const fh = await open(join(this.opts.dir, segName(cur.segment)), 'r');
    try {
      let want = Math.min(size - cur.offset, limit);
      for (;;) {
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, cur.offset);
        const parsed = parseRecords(buf.subarray(0, bytesRead), maxRecords, limit);
        if (parsed.batch.count > 0) return { batch: parsed.batch, next: { segment: cur.segment, offset: cur.offset + parsed.consumed } };
        if (parsed.corrupt || want >= size - cur.offset) throw new Error(`spool segment ${segName(cur.segment)} is corrupt at offset ${cur.offset}`);
        want = Math.min(size - cur.offset, HEADER_BYTES + buf.readUInt32LE(0));
      }
    } finally {
      await fh.close();
    }
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

  /**
   * Takes `cursor` as confirmed by InfluxDB: deletes the segments wholly before it and saves it (see AckFile:
   * the saved position may trail by up to `ackSaveMs`, which only means re-sending confirmed points after a
   * crash; a segment deleted before the saved position passes it held only confirmed points).
   */
  async ack(cursor: Cursor): Promise<void> {
    this.#ack = { ...cursor };
    this.#ackFile.save(cursor);
    for (const seq of [...this.#segments.keys()]) if (seq < cursor.segment) await this.#deleteSegment(seq);
    this.#tail.dropBefore(cursor.segment);
    if (this.#full && this.#unsentBytes() < this.opts.maxBytes * 0.9) this.#setFull(false);
  }

  #hasDataAfter(c: Cursor): boolean {
    for (const [seq, size] of this.#segments) if (seq > c.segment ? size > 0 : seq === c.segment && size > c.offset) return true;
    return false;
  }

  /** Unsent bytes: committed after the ack position (segments before it are deleted), plus pending. */
  #unsentBytes(): number {
    return this.#diskBytes - (this.#segments.has(this.#ack.segment) ? this.#ack.offset : 0) + this.#pending.bytes;
  }

  async #commitLoop(): Promise<void> {
    try {
      while (this.#pending.records > 0 && this.#fh) {
        const segmentBytes = this.opts.segmentBytes ?? 8 * 1024 * 1024;
        if ((this.#segments.get(this.#active) ?? 0) >= segmentBytes) await this.#rotate();
        // Take what fits in the active segment (at least one record), so segments stay near their size.
        const { pieces, bytes, records } = this.#pending.take(segmentBytes - (this.#segments.get(this.#active) ?? 0));
        // The chunks are written as they are (framed in place at append): one writev, one fdatasync.
        await this.#fh.writev(pieces.map((p) => p.buf.subarray(p.starts[0] as number, p.end)));
        await this.#fh.datasync();
        // Readable only now, after the fsync: from memory as from disk.
        let at = this.#segments.get(this.#active) ?? 0;
        for (const p of pieces) {
          this.#tail.remember(this.#active, at, p);
          at += p.end - (p.starts[0] as number);
        }
        this.#segments.set(this.#active, at);
        this.#diskBytes += bytes;
        this.#stats.committed += records;
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
    this.#diskBytes -= (this.#segments.get(seq) ?? 0) - consumed;
    this.#segments.set(seq, consumed);
  }

  async #deleteSegment(seq: number): Promise<void> {
    this.#diskBytes -= this.#segments.get(seq) ?? 0;
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
      this.opts.log.error(`spool full (${this.opts.maxBytes} bytes unsent): refusing new points until InfluxDB accepts writes again; refused state changes are recovered from HA's recorder once it has room, other refused points are lost`);
      this.#fullLogged = true;
    } else if (!full) {
      this.opts.log.warn(`spool has room again; ${this.#stats.refused} points were refused while it was full`);
      this.#fullLogged = false;
    }
    this.opts.onFullChange?.(full);
  }
}
