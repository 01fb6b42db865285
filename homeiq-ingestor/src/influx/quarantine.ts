import type { Logger } from '@homeiq/shared';
import { open, readFile, rm, stat } from 'node:fs/promises';

export interface QuarantineEntry {
  at: string;
  status: number;
  reason: string;
  line: string;
}

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
  async add(lines: readonly string[], status: number, reason: string): Promise<void> {
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

  async entries(limit = 100): Promise<QuarantineEntry[]> {
    let text: string;
    try {
      text = await readFile(this.opts.file, 'utf8');
    } catch {
      return [];
    }
    const out: QuarantineEntry[] = [];
    for (const l of text.split('\n')) {
      if (out.length >= limit) break;
      if (l.length === 0) continue;
      try {
        out.push(JSON.parse(l) as QuarantineEntry);
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    return out;
  }

  /** Empties the quarantine; for a retry the caller spools `entries()` durably first, then clears. */
  async clear(): Promise<void> {
    await rm(this.opts.file, { force: true });
    this.#bytes = 0;
    this.#count = 0;
    this.#dropped = 0;
  }
}
