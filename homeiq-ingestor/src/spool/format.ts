import { crc32 } from 'node:zlib';

/**
 * Spool record framing: `[u32 LE payload length][u32 LE crc32(payload)][payload: one line-protocol point, UTF-8]`.
 * Framed by length, not by newline, because a string field may legally contain a newline; the CRC finds a torn
 * tail after a crash (power loss can leave a partly written or zero-filled end).
 */
export const HEADER_BYTES = 8;
/** Larger than any point we produce (strings are capped); a larger length means corruption. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export function frame(line: string): Buffer {
  const payload = Buffer.from(line, 'utf8');
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/** Bytes `line` takes in the spool, header included. */
export function framedLength(line: string): number {
  return HEADER_BYTES + Buffer.byteLength(line, 'utf8');
}

/**
 * Writes the framed record of `line` (`framedLength(line)` bytes) into `buf` at `pos`, as `frame()` would,
 * without a Buffer of its own: the spool frames a whole group commit into one buffer.
 */
export function frameInto(buf: Buffer, pos: number, line: string, framed: number): void {
  const len = buf.write(line, pos + HEADER_BYTES, framed - HEADER_BYTES, 'utf8');
  buf.writeUInt32LE(len, pos);
  buf.writeUInt32LE(crc32(buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len)), pos + 4);
}

export interface Parsed {
  records: string[];
  /** Bytes of `buf` consumed by complete, valid records. */
  consumed: number;
  /** A record header or checksum that cannot be right (not just a record cut short by the buffer's end). */
  corrupt: boolean;
}

/** Parses whole records from `buf`, stopping at the limits, at a partial record, or at corruption. */
export function parseRecords(buf: Buffer, maxRecords = Number.POSITIVE_INFINITY, maxBytes = Number.POSITIVE_INFINITY): Parsed {
  const records: string[] = [];
  let pos = 0;
  let corrupt = false;
  while (pos + HEADER_BYTES <= buf.length && records.length < maxRecords) {
    const len = buf.readUInt32LE(pos);
    if (len > MAX_RECORD_BYTES) {
      corrupt = true;
      break;
    }
    const end = pos + HEADER_BYTES + len;
    if (end > buf.length) break;
    if (records.length > 0 && end > maxBytes) break;
    const payload = buf.subarray(pos + HEADER_BYTES, end);
    if (crc32(payload) !== buf.readUInt32LE(pos + 4)) {
      corrupt = true;
      break;
    }
    records.push(payload.toString('utf8'));
    pos = end;
  }
  return { records, consumed: pos, corrupt };
}
