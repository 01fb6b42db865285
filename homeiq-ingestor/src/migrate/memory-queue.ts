import type { WriterSpool } from '../influx/writer.js';
import { RecordBatch } from '../spool/batch.js';
import type { Cursor } from '../spool/spool.js';

/**
 * The migration's queue of encoded points between the window writer and its own InfluxWriter: in memory, one
 * chunk per window, with its own budget, and nothing of live ingestion's spool. A migration needs no disk spool:
 * its source keeps every point, so what InfluxDB has not confirmed when the add-on stops is simply read again
 * (the migration saves its position only for windows InfluxDB confirmed; see Migration). That spares a Raspberry
 * Pi's SD card from writing every migrated point twice.
 *
 * The writer reads it as it reads the spool: a cursor is `{ segment: chunk number, offset: line index }`, a read
 * returns lines of one chunk (sharing the chunk's memory), and `ack` drops the chunks wholly before the cursor and
 * tells the listener the number of the last chunk InfluxDB has fully confirmed.
 */

interface Chunk {
  seq: number;
  batch: RecordBatch;
}

export class MemoryQueue implements WriterSpool {
  readonly #chunks: Chunk[] = [];
  #nextSeq = 1;
  #ack: Cursor = { segment: 1, offset: 0 };
  /** Bytes of every chunk held (the acknowledged part of the first one included until it is dropped). */
  #bytes = 0;
  /** One shared promise for "new data", so a reader polling it cannot pile up waiters. */
  #signal: { promise: Promise<void>; resolve: () => void } | undefined;

  #onConfirmed: (seq: number) => void = () => undefined;

  /** `turn(lines)`: awaited before a read hands a batch to the writer (the live-ingestion pace, live-yield.ts). */
  constructor(private readonly turn?: (lines: number) => Promise<void>) {}

  /** `fn(seq)` once InfluxDB confirmed every chunk up to `seq` (the migration listens). */
  listen(fn: (seq: number) => void): void {
    this.#onConfirmed = fn;
  }

  /** Queues the lines of one window (LineBuffer) as one chunk; returns its number. */
  append(batch: RecordBatch): number {
    const seq = this.#nextSeq++;
    this.#chunks.push({ seq, batch });
    this.#bytes += batch.body.length;
    this.#drop(this.#ack);
    this.release();
    return seq;
  }

  /** Bytes not yet confirmed by InfluxDB. */
  stats(): { bytes: number; chunks: number } {
    const first = this.#chunks[0];
    const done =
      first && first.seq === this.#ack.segment && this.#ack.offset > 0
        ? (first.batch.ends[this.#ack.offset - 1] ?? 0)
        : 0;
    return { bytes: this.#bytes - done, chunks: this.#chunks.length };
  }

  get ackCursor(): Cursor {
    return { ...this.#ack };
  }

  get end(): Cursor {
    const last = this.#chunks.at(-1);
    return last ? { segment: last.seq, offset: last.batch.count } : { ...this.#ack };
  }

  async read(from: Cursor, maxRecords: number, maxBytes: number): Promise<{ batch: RecordBatch; next: Cursor }> {
    let cur = { ...from };
    for (const c of this.#chunks) {
      if (c.seq < cur.segment) continue;
      if (c.seq > cur.segment) cur = { segment: c.seq, offset: 0 };
      if (cur.offset >= c.batch.count) continue;
      const ends = c.batch.ends;
      const base = cur.offset === 0 ? 0 : (ends[cur.offset - 1] as number);
      let n = 1;
      while (n < maxRecords && cur.offset + n < ends.length && (ends[cur.offset + n] as number) - base <= maxBytes)
        n += 1;
      await this.turn?.(n);
      return { batch: c.batch.slice(cur.offset, cur.offset + n), next: { segment: c.seq, offset: cur.offset + n } };
    }
    return { batch: RecordBatch.EMPTY, next: cur };
  }

  waitForData(cursor: Cursor): Promise<void> {
    const has = this.#chunks.some((c) =>
      c.seq > cursor.segment ? c.batch.count > 0 : c.seq === cursor.segment && c.batch.count > cursor.offset,
    );
    if (has) return Promise.resolve();
    if (!this.#signal) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#signal = { promise, resolve };
    }
    return this.#signal.promise;
  }

  async ack(cursor: Cursor): Promise<void> {
    this.#ack = { ...cursor };
    this.#drop(cursor);
  }

  /** Drops the chunks InfluxDB confirmed, and the empty ones at the front (nothing to confirm in them). */
  #drop(cursor: Cursor): void {
    let confirmed: number | undefined;
    while (this.#chunks.length > 0) {
      const c = this.#chunks[0] as Chunk;
      const whole = c.seq < cursor.segment || (c.seq === cursor.segment && cursor.offset >= c.batch.count);
      if (!whole && c.batch.count > 0) break;
      this.#chunks.shift();
      this.#bytes -= c.batch.body.length;
      confirmed = c.seq;
    }
    if (confirmed !== undefined) this.#onConfirmed(confirmed);
  }

  /** Wakes a reader waiting for data (new data, or the writer stopping). */
  release(): void {
    const s = this.#signal;
    this.#signal = undefined;
    s?.resolve();
  }
}
