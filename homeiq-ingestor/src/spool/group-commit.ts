import type { Backoff, Logger } from '@homeiq/shared';
import { CommitStatus, CommitWaiters } from './commit-status.js';
import { PendingRecords, type OldestRecords, type Refusal } from './pending.js';
import { SegmentWriter, type OpenSegment } from './segment-file.js';

/** Where the next group commit goes: segment `seq`, holding `base` committed bytes, with `room` left. */
export interface CommitPlace {
  seq: number;
  base: number;
  room: number;
}

export interface GroupCommitOptions {
  dir: string;
  log: Logger;
  openSegment: OpenSegment;
  backoff: Backoff;
  onCommitError: ((error: string | undefined) => void) | undefined;
  /**
   * How long a commit waits for more records after the first one queued while idle (0: the next turn of the
   * event loop). See Spool's `commitDelayMs`.
   */
  delayMs: number;
  /** The active segment (the spool moves on to a new one when it is full). */
  place(): CommitPlace;
  /** `records` are fsynced at `base` of segment `seq`: readable from now on. */
  committed(seq: number, base: number, records: OldestRecords): void;
}

/**
 * The group commit: `append` queues framed records, and one loop writes every queued record with one durable
 * writev (the segment is opened with O_DSYNC), again while more are queued. A failed commit keeps its records
 * queued, first in line (still counted against the spool's limit), and is retried after a jittered pause; the
 * file is cut back to its committed size before the next write (SegmentWriter). The loop never rejects.
 */
export class GroupCommit {
  readonly #pending = new PendingRecords();
  readonly #counts = { appended: 0, committed: 0, commits: 0 };
  #loop: Promise<void> | undefined;
  #stopping = false;
  readonly #writer: SegmentWriter;
  readonly #status: CommitStatus;
  readonly #waiters = new CommitWaiters();

  constructor(private readonly opts: GroupCommitOptions) {
    this.#writer = new SegmentWriter(opts.dir, opts.openSegment);
    this.#status = new CommitStatus(opts.log, opts.backoff, opts.onCommitError);
  }

  /** Framed bytes not yet committed, a commit in flight included. */
  get bytes(): number {
    return this.#pending.bytes;
  }

  /** Why commits fail, while they do. */
  get error(): string | undefined {
    return this.#status.error;
  }

  counts(): { appended: number; committed: number; commits: number } {
    return { ...this.#counts };
  }

  /** Opens segment `seq` for appending, cut to its committed `size` (start: fails as the file system does). */
  open(seq: number, size: number): Promise<void> {
    return this.#writer.open(seq, size);
  }

  /** Queues `line` within `room` bytes and makes sure a commit follows; undefined, or why it was refused (see PendingRecords.append). */
  append(line: string, room: number): Refusal | undefined {
    const framed = this.#pending.append(line, room);
    if (typeof framed !== 'number') return framed;
    this.#counts.appended += 1;
    this.#loop ??= this.#run();
    return undefined;
  }

  /** No commit is running. */
  get idle(): boolean {
    return this.#loop === undefined;
  }

  /** Commits again after `drain`, starting with what it left queued (a stop the disk failed). */
  resume(): void {
    this.#stopping = false;
    if (this.#pending.records > 0) this.#loop ??= this.#run();
  }

  /** Resolves once everything appended so far is committed; `stop` rejects it if that never happens. */
  synced(): Promise<void> {
    return this.#counts.committed >= this.#counts.appended
      ? Promise.resolve()
      : this.#waiters.wait(this.#counts.appended);
  }

  /**
   * Waits for the running commits to end; while the disk fails, a retry pause is cut short for one last
   * attempt, and a failed attempt ends the run instead of pausing again (until `resume`).
   */
  async drain(): Promise<void> {
    this.#stopping = true;
    this.#status.wake();
    while (this.#loop) await this.#loop;
  }

  /**
   * Closes the segment (after `drain`). Returns the error for the records left queued (not on disk), after
   * rejecting every waiting `synced()` with it; undefined when everything is committed.
   */
  async close(): Promise<Error | undefined> {
    const left = this.#pending.records;
    const err =
      left > 0
        ? new Error(`spool stopped with ${left} points not written to disk (${this.#status.error ?? 'disk error'})`)
        : undefined;
    if (err) this.#waiters.fail(err);
    await this.#writer.close();
    return err;
  }

  async #run(): Promise<void> {
    // Yield first, so the caller has stored this promise in #loop before the finally clears it: a run with
    // nothing to do would otherwise finish synchronously and leave #loop set for good. The first commit after an
    // idle spell waits `delayMs` for the records that follow (commits in a row do not: they find plenty queued).
    if (this.opts.delayMs > 0 && !this.#stopping) await this.#status.sleep(this.opts.delayMs);
    else await undefined;
    try {
      while (this.#pending.records > 0) {
        try {
          await this.#commit();
        } catch (err) {
          this.#status.failed(err, this.#pending.records);
          if (this.#stopping) break; // stop's last attempt failed: stop reports what is left
          await this.#status.pause();
        }
      }
    } finally {
      this.#loop = undefined;
    }
  }

  /** The oldest queued records that fit the active segment (at least one), in one durable writev. */
  async #commit(): Promise<void> {
    const { seq, base, room } = this.opts.place();
    const taken = this.#pending.oldest(room);
    await this.#writer.append(
      seq,
      base,
      taken.pieces.map((p) => p.buf.subarray(p.starts[0] as number, p.end)),
    );
    // Handed over and dropped in one step: the bytes move from pending to the segment without being uncounted.
    this.opts.committed(seq, base, taken);
    this.#pending.remove(taken.records);
    this.#counts.committed += taken.records;
    this.#counts.commits += 1;
    // Before the waiters: a caller whose sync() resolved sees the error cleared.
    this.#status.succeeded();
    this.#waiters.committed(this.#counts.committed);
  }
}
