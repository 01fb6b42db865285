import { Backoff, type Logger, type Service } from '@homeiq/shared';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AckFile, type Cursor } from './ack-file.js';
import { RecordBatch } from './batch.js';
import { HEADER_BYTES, MAX_RECORD_BYTES } from './format.js';
import { GroupCommit, type CommitPlace } from './group-commit.js';
import type { OldestRecords } from './pending.js';
import { listSegments, openForAppend, readSegment, repairTail, segName, type OpenSegment } from './segment-file.js';
import { SpoolTail } from './tail.js';

export type { Cursor } from './ack-file.js';

export interface SpoolOptions {
  dir: string;
  /** Unsent bytes on disk (plus not yet committed, including a commit in flight) beyond which new points are refused. */
  maxBytes: number;
  segmentBytes?: number;
  log: Logger;
  /** The confirmed position is saved at most this often (default 5000 ms; see AckFile). */
  ackSaveMs?: number;
  /**
   * A group commit after an idle spell waits this long for more records before its durable write (default
   * 100 ms). At home rates Home Assistant sends a frame every few milliseconds with one or two events: without
   * the wait each frame cost a commit (50 fdatasyncs a second at 100 events/s), which was most of the add-on's CPU
   * time. Back-to-back commits (a burst, a backlog) do not wait. Points count as ingested once committed, so this
   * is also how much later they become readable; the writer batches for `flush_interval_ms` anyway.
   */
  commitDelayMs?: number;
  /** Called when the spool becomes full or has room again. */
  onFullChange?(full: boolean): void;
  /**
   * Framed bytes of the most recently committed records kept in memory, so a reader keeping up is served
   * without reading its own writes back from disk (default 16 MiB; 0 turns it off).
   */
  tailBytes?: number;
  /** Called when group commits start failing (with the error, again when it changes) and when they work again (undefined). */
  onCommitError?(error: string | undefined): void;
  /** The pause between attempts while commits fail (default 100 ms doubling to 30 s, jittered). */
  commitBackoff?: Backoff;
  /** Opens a segment for appending (default: the real file; tests make it fail like a full or broken disk). */
  openSegment?: OpenSegment;
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
  /** Points refused because the spool was full (or not running, or empty lines): see `append`. */
  refused: number;
  /** Points refused because they are larger than a spool record may be (MAX_RECORD_BYTES), full or not. */
  tooBig: number;
  /** Unsent bytes: on disk after the ack position, plus not yet committed (a commit in flight too). */
  bytes: number;
  segments: number;
  full: boolean;
  commits: number;
  /** Why group commits fail, while they do: appended points wait in memory (within maxBytes) and are retried. */
  commitError: string | undefined;
}

/**
 * Durable append-only spool of encoded points in `<data dir>/spool/`.
 *
 * - `append()` never waits: it queues the framed record and a group commit writes every queued record with one
 *   durable write (O_DSYNC: on the disk when it returns, as with write + fdatasync). A point counts as ingested
 *   (`committed`) only once that write returned. A commit that fails
 *   (ENOSPC, EIO) keeps its records pending, first in line, cuts the file back to its committed size and is
 *   retried with a jittered backoff (`commitError` in stats and `onCommitError` meanwhile; see SegmentWriter).
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
  /** Records appended and not yet fsynced, and the loop committing them. */
  readonly #commit: GroupCommit;
  /** Between start and stop: only then are points taken (nothing else would commit them). */
  #running = false;
  #refusedStoppedLogged = false;
  /** Committed size of every segment on disk, oldest first. */
  #segments = new Map<number, number>();
  #active = 0;
  #ack: Cursor = { segment: 0, offset: 0 };
  #waiters: Array<() => void> = [];
  /** One shared promise for "new data", so an idle reader polling it cannot pile up waiters. */
  #dataSignal: Promise<void> | undefined;
  #full = false;
  #fullLogged = false;
  #refused = 0;
  #tooBig = 0;
  /** Recent group commits (see SpoolOptions.tailBytes). */
  readonly #tail: SpoolTail;
  readonly #ackFile: AckFile;
  /** Committed bytes of every segment on disk (kept as a sum: `append` asks for the unsent bytes every time). */
  #diskBytes = 0;
  readonly #reads = { memory: 0, disk: 0 };

  constructor(private readonly opts: SpoolOptions) {
    this.#tail = new SpoolTail(opts.tailBytes ?? 16 * 1024 * 1024);
    this.#ackFile = new AckFile(opts.dir, opts.ackSaveMs ?? 5000, (err) =>
      opts.log.error(
        { err },
        'cannot save the spool position confirmed by InfluxDB; retrying with the next confirmation',
      ),
    );
    this.#commit = new GroupCommit({
      dir: opts.dir,
      log: opts.log,
      openSegment: opts.openSegment ?? openForAppend,
      backoff: opts.commitBackoff ?? new Backoff({ initialMs: 100, maxMs: 30_000 }),
      onCommitError: opts.onCommitError?.bind(opts),
      delayMs: opts.commitDelayMs ?? 100,
      place: () => this.#place(),
      committed: (seq, base, records) => this.#committed(seq, base, records),
    });
  }

  get ackCursor(): Cursor {
    return { ...this.#ack };
  }

  stats(): SpoolStats {
    const bytes = this.#unsentBytes();
    return {
      ...this.#commit.counts(),
      refused: this.#refused,
      tooBig: this.#tooBig,
      bytes,
      segments: this.#segments.size,
      full: this.#full,
      commitError: this.#commit.error,
    };
  }

  readStats(): SpoolReadStats {
    return { ...this.#reads, tailBytes: this.#tail.bytes };
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    this.#ack = (await this.#ackFile.load()) ?? { segment: 0, offset: 0 };
    this.#diskBytes = 0;
    this.#segments = await listSegments(this.opts.dir);
    for (const size of this.#segments.values()) this.#diskBytes += size;
    for (const seq of this.#segments.keys()) if (seq < this.#ack.segment) await this.#deleteSegment(seq);
    const last = [...this.#segments.keys()].at(-1);
    this.#active = Math.max(last ?? 1, this.#ack.segment, 1);
    if (last !== undefined) {
      const valid = await repairTail(this.opts.dir, last, this.opts.log);
      this.#diskBytes -= (this.#segments.get(last) ?? 0) - valid;
      this.#segments.set(last, valid);
    }
    if (!this.#segments.has(this.#active)) this.#segments.set(this.#active, 0);
    // Opened now rather than at the first commit, so a data directory that cannot be written fails the start.
    await this.#commit.open(this.#active, this.#segments.get(this.#active) ?? 0);
    if (this.#ack.segment === 0) this.#ack = { segment: [...this.#segments.keys()][0] ?? this.#active, offset: 0 };
    const unsent = this.#unsentBytes();
    if (unsent > 0)
      this.opts.log.info(`spool holds ${unsent} unsent bytes from before the restart; sending them first`);
    this.#running = true;
    this.#refusedStoppedLogged = false;
    this.#commit.resume();
  }

  /**
   * Commits what is pending (a retry pause is cut short for one last attempt), then closes. Rejects, after
   * closing, when points could not be written (the disk kept failing; the service group logs it): they are not
   * on disk, and a waiting `sync()` rejects with the same error.
   */
  async stop(): Promise<void> {
    do {
      await this.#commit.drain();
    } while (!this.#commit.idle);
    // Refusing from here on, decided in the same step that found no commit running: none can start behind it.
    this.#running = false;
    const lost = await this.#commit.close();
    try {
      await this.#ackFile.flush();
    } finally {
      this.#tail.clear();
      for (const w of this.#waiters.splice(0)) w();
    }
    if (lost) throw lost;
  }

  /**
   * Queues one point for the next group commit. False when it is refused, counted in `refused`: the spool is
   * full (the full policy above), or not running (before `start`, after `stop`: nothing would commit it; logged
   * once, the spool does not turn full), or the line is empty (it would read back as corruption, see format.ts).
   * A line larger than a record may be is refused too, but counted in `tooBig` and logged, and never makes the
   * spool full: it says nothing about the room left (the encoders' point budget keeps lines far below it).
   */
  append(line: string): boolean {
    if (!this.#running || line.length === 0) {
      this.#refused += 1;
      if (!this.#running && !this.#refusedStoppedLogged)
        this.opts.log.warn('spool is not running: refusing points (counted as refused)');
      this.#refusedStoppedLogged ||= !this.#running;
      return false;
    }
    const refused = this.#commit.append(line, this.opts.maxBytes - this.#unsentBytes());
    if (refused === undefined) return true;
    if (refused === 'too_big') {
      this.#tooBig += 1;
      // The first, then one line per thousand: a flood of them must not flood the log.
      if (this.#tooBig % 1000 === 1)
        this.opts.log.error(
          `a point of ${line.length} characters is larger than a spool record may be (${MAX_RECORD_BYTES} bytes); it is not written (${this.#tooBig} so far)`,
        );
      return false;
    }
    this.#refused += 1;
    if (refused === 'no_room') this.#setFull(true);
    return false;
  }

  /**
   * Resolves once everything appended before the call is committed (fsynced), however long a failing disk
   * delays that; rejects when the spool stops first (or has stopped) with those points not on disk.
   */
  sync(): Promise<void> {
    const { appended, committed } = this.#commit.counts();
    if (!this.#running && committed < appended)
      return Promise.reject(new Error(`spool is stopped with ${appended - committed} points not written to disk`));
    return this.#commit.synced();
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
    const { batch, consumed } = await readSegment(this.opts.dir, cur.segment, cur.offset, size, maxRecords, limit);
    return { batch, next: { segment: cur.segment, offset: cur.offset + consumed } };
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
    this.#tail.dropBefore(cursor);
    if (this.#full && this.#unsentBytes() < this.opts.maxBytes * 0.9) this.#setFull(false);
  }

  #hasDataAfter(c: Cursor): boolean {
    for (const [seq, size] of this.#segments)
      if (seq > c.segment ? size > 0 : seq === c.segment && size > c.offset) return true;
    return false;
  }

  /** Unsent bytes: committed after the ack position (segments before it are deleted), plus pending (in flight too). */
  #unsentBytes(): number {
    return this.#diskBytes - (this.#segments.has(this.#ack.segment) ? this.#ack.offset : 0) + this.#commit.bytes;
  }

  /** The active segment for the next group commit: a new one once it reached `segmentBytes`. */
  #place(): CommitPlace {
    const segmentBytes = this.opts.segmentBytes ?? 8 * 1024 * 1024;
    if ((this.#segments.get(this.#active) ?? 0) >= segmentBytes) {
      this.#active += 1;
      this.#segments.set(this.#active, 0);
    }
    const base = this.#segments.get(this.#active) ?? 0;
    return { seq: this.#active, base, room: segmentBytes - base };
  }

  /** A group commit is fsynced: readable only now, from memory as from disk. */
  #committed(seq: number, base: number, { pieces, bytes }: OldestRecords): void {
    let at = base;
    for (const p of pieces) {
      this.#tail.remember(seq, at, p);
      at += p.end - (p.starts[0] as number);
    }
    this.#segments.set(seq, at);
    this.#diskBytes += bytes;
    for (const w of this.#waiters.splice(0)) w();
  }

  async #deleteSegment(seq: number): Promise<void> {
    this.#diskBytes -= this.#segments.get(seq) ?? 0;
    this.#segments.delete(seq);
    await rm(join(this.opts.dir, segName(seq)), { force: true });
  }

  #setFull(full: boolean): void {
    if (this.#full === full) return;
    this.#full = full;
    if (full && !this.#fullLogged) {
      this.opts.log.error(
        `spool full (${this.opts.maxBytes} bytes unsent): refusing new points until InfluxDB accepts writes again; refused state changes are recovered from HA's recorder once it has room, other refused points are lost`,
      );
      this.#fullLogged = true;
    } else if (!full) {
      this.opts.log.warn(`spool has room again; ${this.#refused} points were refused while it was full`);
      this.#fullLogged = false;
    }
    this.opts.onFullChange?.(full);
  }
}
