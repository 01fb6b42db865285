import { crc32 } from 'node:zlib';
import { HEADER_BYTES, MAX_RECORD_BYTES } from './format.js';
import type { CommittedPiece } from './tail.js';

/** Why a line is not taken: see PendingRecords.append. */
export type Refusal = 'empty' | 'too_big' | 'no_room';

/** Appended records are framed into chunks of this size (a larger record gets a chunk of its own). */
export const CHUNK_BYTES = 256 * 1024;

interface Chunk {
  buf: Buffer;
  /** Header offset of every record framed here. */
  starts: number[];
  /** Bytes in use. */
  used: number;
  /** Index in `starts` of the first record not yet committed. */
  done: number;
}

/** The oldest pending records as a group commit writes them. */
export interface OldestRecords {
  pieces: CommittedPiece[];
  bytes: number;
  records: number;
}

/**
 * Records appended and not yet committed, framed in place as they arrive: `append` writes the line's UTF-8 bytes
 * straight after room for the header (one encoding pass, no string kept), `oldest` hands a group commit whole
 * records in order and fills in their checksums, `remove` drops them once they are fsynced. Until then they stay
 * here, counted in `bytes` (the spool's limit includes a commit in flight), and a failed commit leaves them first
 * in line. Chunks are plain Buffers outside the JS heap; the group commit writes them and the tail keeps them,
 * nothing is copied.
 */
export class PendingRecords {
  #chunks: Chunk[] = [];
  #bytes = 0;
  #records = 0;

  /** Framed bytes not yet committed (including those of a commit in flight). */
  get bytes(): number {
    return this.#bytes;
  }

  get records(): number {
    return this.#records;
  }

  /**
   * Frames `line`; returns its framed size, or why it is refused: `empty` (a zero-length record reads back as
   * corruption, see format.ts), `too_big` (larger than a record may be, whatever the room), or `no_room` (larger
   * than `room`, what the spool's limit leaves). A refused line leaves nothing behind.
   */
  append(line: string, room: number): number | Refusal {
    if (line.length === 0) return 'empty';
    // UTF-16 code units → at most 3 UTF-8 bytes each: reserve the worst case, write, then know the real size.
    // A code unit is at least one byte: a line that cannot fit is refused before any work.
    // Too big is decided before room: a line that can never be a record must not make a nearly full spool full.
    if (HEADER_BYTES + line.length > MAX_RECORD_BYTES) return 'too_big';
    const worst = HEADER_BYTES + line.length * 3;
    if (worst > MAX_RECORD_BYTES && HEADER_BYTES + Buffer.byteLength(line, 'utf8') > MAX_RECORD_BYTES) return 'too_big';
    if (HEADER_BYTES + line.length > room) return 'no_room';
    let ch = this.#chunks.at(-1);
    if (ch === undefined || ch.buf.length - ch.used < worst) {
      ch = { buf: Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, worst)), starts: [], used: 0, done: 0 };
      this.#chunks.push(ch);
    }
    const at = ch.used;
    const len = ch.buf.write(line, at + HEADER_BYTES, 'utf8');
    const size = HEADER_BYTES + len;
    if (size > room) return 'no_room'; // the bytes written stay unused: the next append overwrites them
    ch.buf.writeUInt32LE(len, at);
    ch.starts.push(at);
    ch.used = at + size;
    this.#bytes += size;
    this.#records += 1;
    return size;
  }

  /**
   * The oldest pending records, whole, in order, totalling at most `room` framed bytes (but at least one
   * record), as pieces of their chunks with checksums filled in. They stay pending until `remove`: asking
   * again after a failed commit gives the same records first.
   */
  oldest(room: number): OldestRecords {
    const pieces: CommittedPiece[] = [];
    let bytes = 0;
    let records = 0;
    for (const ch of this.#chunks) {
      const { buf, starts } = ch;
      const first = ch.done;
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
      }
      if (i < starts.length) break; // the room is used up
    }
    return { pieces, bytes, records };
  }

  /** Drops the oldest `records`: those the last `oldest` gave, now committed. */
  remove(records: number): void {
    let left = records;
    while (left > 0 && this.#chunks.length > 0) {
      const ch = this.#chunks[0] as Chunk;
      const n = Math.min(left, ch.starts.length - ch.done);
      if (n > 0) {
        const to = ch.done + n;
        this.#bytes -= (to < ch.starts.length ? (ch.starts[to] as number) : ch.used) - (ch.starts[ch.done] as number);
        this.#records -= n;
        left -= n;
        ch.done = to;
      }
      // Fully committed: a chunk still being filled stays for the next appends; a finished one is done.
      if (ch.done < ch.starts.length || ch === this.#chunks.at(-1)) break;
      this.#chunks.shift();
    }
  }
}
