import { RecordBatch } from '../spool/batch.js';

/**
 * A window's lines written as UTF-8 into one growing buffer as they are encoded, each followed by `\n`: the line
 * strings die young (a window of them kept until the queue would outlive V8's young generation and be copied into
 * the old one), and the migration's queue takes the bytes as they are (MemoryQueue).
 */
export class LineBuffer {
  #body: Buffer;
  readonly #ends: number[] = [];
  #pos = 0;

  /** `capacity`: the bytes expected (the previous window's); it grows as needed. */
  constructor(capacity = 64 * 1024) {
    this.#body = Buffer.allocUnsafeSlow(Math.max(64, capacity));
  }

  get count(): number {
    return this.#ends.length;
  }

  get bytes(): number {
    return this.#pos;
  }

  add(line: string): void {
    // A character is at most 3 UTF-8 bytes (a surrogate pair is 2 characters for 4 bytes).
    const worst = line.length * 3 + 1;
    if (this.#pos + worst > this.#body.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.#body.length * 2, this.#pos + worst));
      this.#body.copy(grown, 0, 0, this.#pos);
      this.#body = grown;
    }
    const at = this.#pos + this.#body.write(line, this.#pos, 'utf8');
    this.#body[at] = 10;
    this.#pos = at + 1;
    this.#ends.push(this.#pos);
  }

  /** The lines as a batch of exactly their bytes (a copy: the buffer may be twice as large). */
  batch(): RecordBatch {
    return new RecordBatch(Buffer.from(this.#body.subarray(0, this.#pos)), this.#ends);
  }
}
