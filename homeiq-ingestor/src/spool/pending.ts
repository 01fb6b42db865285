import { crc32 } from 'node:zlib';
import { HEADER_BYTES, MAX_RECORD_BYTES } from './format.js';
import type { CommittedPiece } from './tail.js';

/** Appended records are framed into chunks of this size (a larger record gets a chunk of its own). */
export const CHUNK_BYTES = 256 * 1024;

interface Chunk {
  buf: Buffer;
  /** Header offset of every record framed here. */
  starts: number[];
  /** Bytes in use. */
  used: number;
  /** Index in `starts` of the first record not yet taken for a commit. */
  taken: number;
}

/**
 * Records appended and not yet committed, framed in place as they arrive: `append` writes the line's UTF-8 bytes
 * straight after room for the header (one encoding pass, no string kept), `take` hands a group commit whole
 * records in order and fills in their checksums. Chunks are plain Buffers outside the JS heap; the group
 * commit writes them and the tail keeps them, nothing is copied.
 */
export class PendingRecords {
  #chunks: Chunk[] = [];
  #bytes = 0;
  #records = 0;

  /** Framed bytes waiting to be committed. */
  get bytes(): number {
    return this.#bytes;
  }

  get records(): number {
    return this.#records;
  }

  /**
   * Frames `line`; returns its framed size, or undefined when it is refused: larger than a record may be, or
   * than `room` (what the spool's limit leaves). A refused line leaves nothing behind.
   */
  append(line: string, room: number): number | undefined {
    // UTF-16 code units → at most 3 UTF-8 bytes each: reserve the worst case, write, then know the real size.
    // A code unit is at least one byte: a line that cannot fit is refused before any work.
    if (HEADER_BYTES + line.length > Math.min(room, MAX_RECORD_BYTES)) return undefined;
    const worst = HEADER_BYTES + line.length * 3;
    if (worst > MAX_RECORD_BYTES && HEADER_BYTES + Buffer.byteLength(line, 'utf8') > MAX_RECORD_BYTES) return undefined;
    let ch = this.#chunks.at(-1);
    if (ch === undefined || ch.buf.length - ch.used < worst) {
      ch = { buf: Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, worst)), starts: [], used: 0, taken: 0 };
      this.#chunks.push(ch);
    }
    const at = ch.used;
    const len = ch.buf.write(line, at + HEADER_BYTES, 'utf8');
    const size = HEADER_BYTES + len;
    if (size > room) return undefined; // the bytes written stay unused: the next append overwrites them
    ch.buf.writeUInt32LE(len, at);
    ch.starts.push(at);
    ch.used = at + size;
    this.#bytes += size;
    this.#records += 1;
    return size;
  }

  /**
   * The oldest pending records, whole, in order, totalling at most `room` framed bytes (but at least one
   * record), as pieces of their chunks with checksums filled in; they are no longer pending.
   */
  take(room: number): { pieces: CommittedPiece[]; bytes: number; records: number } {
    const pieces: CommittedPiece[] = [];
    let bytes = 0;
    let records = 0;
    while (this.#chunks.length > 0) {
      const ch = this.#chunks[0] as Chunk;
      const { buf, starts } = ch;
      const first = ch.taken;
      let i = first;
      let end = starts[i] as number;
      while (i < starts.length) {
        const next = i + 1 < starts.length ? (starts[i + 1] as number) : ch.used;
        if (records + (i - first) > 0 && bytes + next - (starts[first] as number) > room) break;
        end = next;
        i += 1;
      }
      if (i > first) {
        for (let k = first; k < i; k += 1) {
          const at = starts[k] as number;
          const payload = at + HEADER_BYTES;
          buf.writeUInt32LE(crc32(buf.subarray(payload, payload + buf.readUInt32LE(at))), at + 4);
        }
        pieces.push({ buf, starts: starts.slice(first, i), end });
        bytes += end - (starts[first] as number);
        records += i - first;
        ch.taken = i;
      }
      const last = ch === this.#chunks.at(-1);
      if (ch.taken < starts.length) break; // the room is used up
      // Fully taken: a chunk still being filled stays for the next appends; a finished one is done.
      if (last) break;
      this.#chunks.shift();
    }
    this.#bytes -= bytes;
    this.#records -= records;
    return { pieces, bytes, records };
  }
}
