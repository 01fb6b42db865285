import { BatchBuilder, type RecordBatch } from './batch.js';
import { HEADER_BYTES } from './format.js';

/** Part of a pending chunk that one group commit wrote: records `starts[0..]` of `buf`, ending at `end`. */
export interface CommittedPiece {
  buf: Buffer;
  /** Offsets in `buf` of each record's header. */
  starts: number[];
  /** Offset in `buf` just after the last record. */
  end: number;
}

interface TailPiece extends CommittedPiece {
  segment: number;
  /** Offset in the segment of `starts[0]`. */
  base: number;
}

const framedBytes = (p: CommittedPiece): number => p.end - (p.starts[0] as number);

/**
 * The most recently committed records, kept in memory (the framed bytes as written, not strings), so a reader
 * keeping up is served without reading its own writes back from disk. Bounded by `maxBytes` of framed records;
 * only ever holds fsynced records, contiguous, oldest first.
 */
export class SpoolTail {
  #pieces: TailPiece[] = [];
  #bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  /** Keeps a committed piece, written at `base` in `segment`, and evicts the oldest beyond the bound. */
  remember(segment: number, base: number, piece: CommittedPiece): void {
    if (this.maxBytes <= 0) return;
    this.#pieces.push({ ...piece, segment, base });
    this.#bytes += framedBytes(piece);
    let drop = 0;
    while (this.#bytes > this.maxBytes && drop < this.#pieces.length) {
      this.#bytes -= framedBytes(this.#pieces[drop] as TailPiece);
      drop += 1;
    }
    if (drop > 0) this.#pieces.splice(0, drop);
  }

  /**
   * Forgets the pieces wholly before `cursor`: InfluxDB confirmed them, no reader goes back to them, and holding
   * them would keep up to `maxBytes` in memory for nothing while the writer keeps up.
   */
  dropBefore(cursor: { segment: number; offset: number }): void {
    let drop = 0;
    for (const p of this.#pieces) {
      if (p.segment > cursor.segment || (p.segment === cursor.segment && p.base + framedBytes(p) > cursor.offset))
        break;
      this.#bytes -= framedBytes(p);
      drop += 1;
    }
    if (drop > 0) this.#pieces.splice(0, drop);
  }

  clear(): void {
    this.#pieces = [];
    this.#bytes = 0;
  }

  /**
   * Records from `offset` of `segment`, with the disk path's limits (at most `maxRecords`, and records while the
   * framed bytes from `offset` stay within `limit`, at least one), or undefined when `offset` is not a record
   * start held here. Continues into the next piece while it follows on in the same segment. `available` is
   * how many committed bytes the segment has after `offset` (sizes the body).
   */
  read(
    segment: number,
    offset: number,
    maxRecords: number,
    limit: number,
    available: number,
  ): { batch: RecordBatch; next: number } | undefined {
    const pieces = this.#pieces;
    let c = pieces.length - 1;
    // Readers keeping up read from the newest commits: search from the end.
    while (c >= 0) {
      const p = pieces[c] as TailPiece;
      if (p.segment === segment && p.base <= offset && offset < p.base + framedBytes(p)) break;
      if (p.segment < segment) return undefined;
      c -= 1;
    }
    if (c < 0) return undefined;
    let p = pieces[c] as TailPiece;
    let i = startIndex(p.starts, offset - p.base + (p.starts[0] as number));
    if (i < 0) return undefined; // not a record boundary: let the disk path judge it
    const first = p.buf.readUInt32LE(p.starts[i] as number) + HEADER_BYTES;
    const out = new BatchBuilder(Math.min(available, Math.max(limit, first)));
    let pos = offset;
    for (;;) {
      const { buf, starts } = p;
      const n = starts.length;
      const delta = p.base - (starts[0] as number); // buffer offset → segment offset
      while (i < n && out.count < maxRecords) {
        const at = starts[i] as number;
        const len = buf.readUInt32LE(at);
        const end = at + HEADER_BYTES + len + delta;
        if (out.count > 0 && end - offset > limit) return { batch: out.done(), next: pos };
        out.add(buf, at + HEADER_BYTES, at + HEADER_BYTES + len);
        pos = end;
        i += 1;
      }
      if (out.count >= maxRecords) break;
      const after = pieces[c + 1];
      if (after === undefined || after.segment !== segment || after.base !== pos) break;
      c += 1;
      p = after;
      i = 0;
    }
    return { batch: out.done(), next: pos };
  }
}

/** Index of the record starting at `at` in a piece's `starts` (binary search), or -1 when none does. */
function startIndex(starts: number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = starts[mid] as number;
    if (v === at) return mid;
    if (v < at) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
