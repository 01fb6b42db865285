import { parseJson, writeFileAtomic, type Health, type Logger } from '@homeiq/shared';
import { createHash } from 'node:crypto';
import { open, readFile, rm, stat } from 'node:fs/promises';

export interface QuarantineEntry {
  at: string;
  status: number;
  reason: string;
  line: string;
}

/** An entry with its id: a hash of its stored record, stable across restarts (equal records share it). */
export interface IdentifiedEntry extends QuarantineEntry {
  id: string;
}

const idOf = (record: string): string => createHash('sha256').update(record).digest('hex').slice(0, 16);

export interface QuarantineOptions {
  /** `<data dir>/quarantine.jsonl` */
  file: string;
  maxBytes: number;
  log: Logger;
  /** Check `quarantine`: amber while full and dropping rejected points. */
  health: Health;
}

const CHECK = 'quarantine';

/**
 * Lines InfluxDB rejected (400/422), each with the server's reason: bounded (`maxBytes` of UTF-8 on disk),
 * persisted, inspectable (`entries()`) and removable (`remove()`; the API spools them again first to retry them).
 * A line that does not fit is dropped: InfluxDB refused it, and the writer cannot hold it without blocking every
 * point behind it. Dropped lines are counted (`dropped`, since start), and the first drop of an episode is logged
 * as an error and turns health `quarantine` amber; the episode lasts until entries are removed (retried or
 * discarded), which makes room. Within an episode a later line may still fit and is kept.
 */
export class Quarantine {
  readonly name = 'quarantine';
  #bytes = 0;
  #count = 0;
  /** Since start, never reset: a Prometheus counter. */
  #dropped = 0;
  /** The current episode of dropping, if any. */
  #full: { since: string; dropped: number } | undefined;
  /** add/remove run one at a time: a rewrite must not lose an append made meanwhile. */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: QuarantineOptions) {}

  async start(): Promise<void> {
    try {
      this.#bytes = (await stat(this.opts.file)).size;
      this.#count = (await this.entries(Number.MAX_SAFE_INTEGER)).length;
    } catch {
      this.#bytes = 0;
    }
    this.#report();
  }

  async stop(): Promise<void> {
    // Every add() is already fsynced.
  }

  stats(): { count: number; bytes: number; dropped: number } {
    return { count: this.#count, bytes: this.#bytes, dropped: this.#dropped };
  }

  /**
   * Persists (fsync) the rejected lines that fit and drops the others; resolves before the writer acknowledges
   * them in the spool. Rejects, changing nothing, when the file cannot be written.
   */
  add(lines: readonly string[], status: number, reason: string): Promise<{ kept: number; dropped: number }> {
    return this.#serial(() => this.#add(lines, status, reason));
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #add(lines: readonly string[], status: number, reason: string): Promise<{ kept: number; dropped: number }> {
    const at = new Date().toISOString();
    let text = '';
    let bytes = 0;
    let kept = 0;
    for (const line of lines) {
      const rec = `${JSON.stringify({ at, status, reason: reason.slice(0, 1000), line } satisfies QuarantineEntry)}\n`;
      const size = Buffer.byteLength(rec);
      if (this.#bytes + bytes + size > this.opts.maxBytes) continue;
      text += rec;
      bytes += size;
      kept += 1;
    }
    if (kept > 0) await this.#append(text);
    // Counted only now: a failed write changes nothing, and the writer retries the same lines.
    this.#count += kept;
    this.#bytes += bytes;
    const dropped = lines.length - kept;
    if (dropped > 0) this.#drop(dropped);
    return { kept, dropped };
  }

  async #append(text: string): Promise<void> {
    const fh = await open(this.opts.file, 'a', 0o600);
    try {
      const before = (await fh.stat()).size;
      try {
        await fh.write(text);
        await fh.datasync();
      } catch (err) {
        // A torn record would glue itself to the retried one and make it unreadable.
        await fh.truncate(before).catch(() => undefined);
        throw err;
      }
    } finally {
      await fh.close();
    }
  }

  #drop(n: number): void {
    this.#dropped += n;
    if (!this.#full) {
      this.#full = { since: new Date().toISOString(), dropped: 0 };
      this.opts.log.error(
        `quarantine full (${this.opts.maxBytes} bytes): rejected points are now dropped, counted in homeiq_quarantine_dropped_total (logged once until points are retried or discarded)`,
      );
    }
    this.#full.dropped += n;
    this.#report();
  }

  /** The user made room: the next line that does not fit starts a new episode (and logs again). */
  #endEpisode(): void {
    this.#full = undefined;
    this.#report();
  }

  #report(): void {
    if (!this.#full) {
      this.opts.health.set(CHECK, 'green', 'room for the points InfluxDB rejects');
      return;
    }
    const n = this.#full.dropped;
    this.opts.health.set(
      CHECK,
      'amber',
      `quarantine full (${this.opts.maxBytes} bytes): ${n} rejected point${n === 1 ? '' : 's'} dropped since ${this.#full.since}`,
      'Open Quarantine in the HomeIQ panel, fix the cause, then retry or discard the points there to make room',
    );
  }

  async entries(limit = 100): Promise<IdentifiedEntry[]> {
    return (await this.#records(limit)).map((r) => r.entry);
  }

  async #records(limit: number): Promise<Array<{ record: string; entry: IdentifiedEntry }>> {
    let text: string;
    try {
      text = await readFile(this.opts.file, 'utf8');
    } catch {
      return [];
    }
    const out: Array<{ record: string; entry: IdentifiedEntry }> = [];
    for (const l of text.split('\n')) {
      if (out.length >= limit) break;
      if (l.length === 0) continue;
      try {
        out.push({ record: l, entry: { ...(parseJson(l) as QuarantineEntry), id: idOf(l) } });
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    return out;
  }

  /**
   * Deletes the entries with these ids (or all), durably (rewrite to a temporary file, fsync, rename); lines
   * quarantined meanwhile are kept. Returns how many entries were removed.
   */
  remove(ids: ReadonlySet<string> | 'all'): Promise<number> {
    return this.#serial(async () => {
      const records = await this.#records(Number.MAX_SAFE_INTEGER);
      const keep = ids === 'all' ? [] : records.filter((r) => !ids.has(r.entry.id));
      const removed = records.length - keep.length;
      if (removed === 0) {
        if (ids === 'all') this.#endEpisode(); // nothing kept (every line too large), but the user has seen it
        return 0;
      }
      if (keep.length === 0) {
        await rm(this.opts.file, { force: true });
      } else {
        await writeFileAtomic(this.opts.file, keep.map((r) => `${r.record}\n`).join(''));
      }
      this.#count = keep.length;
      this.#bytes = keep.reduce((n, r) => n + Buffer.byteLength(r.record) + 1, 0);
      this.#endEpisode();
      return removed;
    });
  }
}
