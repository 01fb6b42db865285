import { writeFileAtomic } from '@homeiq/shared';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A position in the spool: segment number and byte offset in it. */
export interface Cursor {
  segment: number;
  offset: number;
}

/**
 * `<spool>/ack.json`: how far InfluxDB confirmed, written atomically (temp file, fsync, rename, directory fsync).
 * Saved at most every `everyMs` while acks keep coming, and on `flush()` (stop): at full speed the writer
 * confirms a batch every few milliseconds, and two fsyncs per batch cost more than the points themselves. What
 * a crash can cost is re-sending up to `everyMs` of confirmed points, which InfluxDB takes as the same points
 * (same series and timestamp); nothing unconfirmed is ever skipped, because the saved position only trails.
 */
export class AckFile {
  #latest: Cursor | undefined;
  #saved: Cursor | undefined;
  #lastSaveAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly everyMs: number,
    /** A scheduled save failed (the next ack tries again; `flush` throws instead). */
    private readonly onError: (err: Error) => void,
  ) {}

  /** The saved position, or undefined when there is none (or it is unreadable: start from the oldest data). */
  async load(): Promise<Cursor | undefined> {
    try {
      const c = JSON.parse(await readFile(join(this.dir, 'ack.json'), 'utf8')) as Partial<Cursor>;
      if (Number.isSafeInteger(c.segment) && Number.isSafeInteger(c.offset))
        this.#saved = { segment: c.segment as number, offset: c.offset as number };
    } catch {
      this.#saved = undefined;
    }
    return this.#saved && { ...this.#saved };
  }

  /** Records `cursor` as confirmed; it reaches the disk within `everyMs`. */
  save(cursor: Cursor): void {
    this.#latest = { ...cursor };
    if (this.#timer || this.#saving) return;
    const wait = Math.max(0, this.#lastSaveAt + this.everyMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#write().catch((err: unknown) => this.onError(err as Error));
    }, wait);
  }

  /** Writes the latest position now (and waits for a write in progress). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#saving) await this.#saving;
    await this.#write();
  }

  async #write(): Promise<void> {
    const cursor = this.#latest;
    if (cursor === undefined || (this.#saved?.segment === cursor.segment && this.#saved.offset === cursor.offset))
      return;
    const done = this.#writeFile(cursor).then(() => {
      this.#saved = cursor;
    });
    // #saving only says "a write is in progress": it never rejects (the error goes to whoever awaits `done`).
    this.#saving = done.then(noop, noop).finally(() => {
      this.#saving = undefined;
      this.#lastSaveAt = Date.now();
      // Acks that came in meanwhile: save them on the usual schedule.
      if (this.#latest !== cursor && this.#latest !== undefined) this.save(this.#latest);
    });
    await done;
  }

  #writeFile(cursor: Cursor): Promise<void> {
    return writeFileAtomic(join(this.dir, 'ack.json'), JSON.stringify(cursor), { syncDir: true });
  }
}

function noop(): void {}
