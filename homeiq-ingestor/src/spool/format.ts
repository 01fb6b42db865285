import { crc32 } from 'node:zlib';
import { BatchBuilder, type RecordBatch } from './batch.js';

/**
 * Spool record framing: `[u32 LE payload length][u32 LE crc32(payload)][payload: one line-protocol point, UTF-8]`.
 * Framed by length, not by newline, because a string field may legally contain a newline; the CRC finds a torn
 * tail after a crash (power loss can leave a partly written or zero-filled end).
 */
export const HEADER_BYTES = 8;
/** Larger than any point we produce (strings are capped); a larger length means corruption. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface Parsed {
  /** The valid records, as the lines of a request body. */
  batch: RecordBatch;
  /** Bytes of `buf` consumed by complete, valid records. */
  consumed: number;
  /** A record header or checksum that cannot be right (not just a record cut short by the buffer's end). */
  corrupt: boolean;
}

/**
 * Parses whole records from `buf`, stopping at `maxRecords`, before the record that would take the framed bytes
 * past `maxBytes` (at least one record), at a partial record, or at corruption.
 */
export function parseRecords(
  buf: Buffer,
  maxRecords = Number.POSITIVE_INFINITY,
  maxBytes = Number.POSITIVE_INFINITY,
): Parsed {
  const out = new BatchBuilder(buf.length);
  let pos = 0;
  let corrupt = false;
  while (pos + HEADER_BYTES <= buf.length && out.count < maxRecords) {
    const len = buf.readUInt32LE(pos);
    // Zero length is corruption too: the spool never writes an empty record, and crc32 of nothing is 0, so a
    // zero-filled tail (power loss) would otherwise pass as a run of valid blank records.
    if (len === 0 || len > MAX_RECORD_BYTES) {
      corrupt = true;
      break;
    }
    const end = pos + HEADER_BYTES + len;
    if (end > buf.length) break;
    if (out.count > 0 && end > maxBytes) break;
    if (crc32(buf.subarray(pos + HEADER_BYTES, end)) !== buf.readUInt32LE(pos + 4)) {
      corrupt = true;
      break;
    }
    out.add(buf, pos + HEADER_BYTES, end);
    pos = end;
  }
  return { batch: out.done(), consumed: pos, corrupt };
}
