import { writeFileAtomic, type Logger } from '@homeiq/shared';
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
}

/**
 * Lines InfluxDB rejected (400/422), each with the server's reason: bounded, persisted, inspectable
 * (`entries()`), and retryable (`takeAll()` hands them back to be spooled again, e.g. after the user fixed a
 * field type). When full, further rejected lines are counted and logged, not kept.
 */
export class Quarantine {
  readonly name = 'quarantine';
  #bytes = 0;
  #count = 0;
  #dropped = 0;
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
  }

  async stop(): Promise<void> {
    // Every add() is already fsynced.
  }

  stats(): { count: number; bytes: number; dropped: number } {
    return { count: this.#count, bytes: this.#bytes, dropped: this.#dropped };
  }

  /** Persists (fsync) the rejected lines; resolves before the writer acknowledges them in the spool. */
  add(lines: readonly string[], status: number, reason: string): Promise<void> {
    return this.#serial(() => this.#add(lines, status, reason));
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #add(lines: readonly string[], status: number, reason: string): Promise<void> {
    const at = new Date().toISOString();
    let text = '';
    for (const line of lines) {
      const rec = `${JSON.stringify({ at, status, reason: reason.slice(0, 1000), line } satisfies QuarantineEntry)}\n`;
      if (this.#bytes + text.length + rec.length > this.opts.maxBytes) {
        this.#dropped += 1;
        if (this.#dropped === 1) this.opts.log.error(`quarantine full (${this.opts.maxBytes} bytes): rejected lines are now counted but not kept`);
        continue;
      }
      text += rec;
      this.#count += 1;
    }
    if (text.length === 0) return;
    const fh = await open(this.opts.file, 'a', 0o600);
    try {
      await fh.write(text);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.#bytes += Buffer.byteLength(text);
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
        out.push({ record: l, entry: { ...(JSON.parse(l) as QuarantineEntry), id: idOf(l) } });
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
      if (removed === 0) return 0;
      if (keep.length === 0) {
        await rm(this.opts.file, { force: true });
      } else {
        await writeFileAtomic(this.opts.file, keep.map((r) => `${r.record}\n`).join(''));
      }
      this.#count = keep.length;
      this.#bytes = keep.reduce((n, r) => n + Buffer.byteLength(r.record) + 1, 0);
      return removed;
    });
  }

  /** Empties the quarantine (and its dropped count). */
  async clear(): Promise<void> {
    await this.remove('all');
    this.#dropped = 0;
  }
}
