/**
 * Records read from the spool, already in the form InfluxDB takes them: UTF-8 lines, each followed by `\n`, in
 * one buffer (the request body before gzip). The spool copies payload bytes straight into it, so a point is
 * encoded to UTF-8 once, at append, and never becomes a JS string again unless a caller asks for `lines()`
 * (bisecting a rejected batch, the quarantine).
 */
export class RecordBatch {
  static readonly EMPTY = new RecordBatch(Buffer.alloc(0), []);

  /** `ends[i]`: offset in `body` just after line i's `\n`. */
  constructor(
    readonly body: Buffer,
    readonly ends: readonly number[],
  ) {}

  get count(): number {
    return this.ends.length;
  }

  /** Line `i` (without its newline), decoded. */
  line(i: number): string {
    const start = i === 0 ? 0 : (this.ends[i - 1] as number);
    return this.body.toString('utf8', start, (this.ends[i] as number) - 1);
  }

  lines(): string[] {
    const out = new Array<string>(this.ends.length);
    for (let i = 0; i < this.ends.length; i += 1) out[i] = this.line(i);
    return out;
  }

  /** Lines `from` to `to` (exclusive) as a batch of their own, sharing this body's memory. */
  slice(from: number, to: number): RecordBatch {
    const start = from === 0 ? 0 : (this.ends[from - 1] as number);
    const ends = this.ends.slice(from, to).map((e) => e - start);
    return new RecordBatch(this.body.subarray(start, start + (ends.at(-1) ?? 0)), ends);
  }
}

/** Builds a RecordBatch by copying payloads into a body of at most `capacity` bytes (callers size it). */
export class BatchBuilder {
  readonly #body: Buffer;
  readonly #ends: number[] = [];
  #pos = 0;

  constructor(capacity: number) {
    this.#body = Buffer.allocUnsafe(capacity);
  }

  get count(): number {
    return this.#ends.length;
  }

  /** Appends `src[start, end)` and a newline. */
  add(src: Buffer, start: number, end: number): void {
    const at = this.#pos;
    src.copy(this.#body, at, start, end);
    const nl = at + end - start;
    this.#body[nl] = 10;
    this.#pos = nl + 1;
    this.#ends.push(this.#pos);
  }

  done(): RecordBatch {
    return this.#ends.length === 0 ? RecordBatch.EMPTY : new RecordBatch(this.#body.subarray(0, this.#pos), this.#ends);
  }
}
