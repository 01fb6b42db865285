import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, parseRecords } from './format.js';
import { PendingRecords } from './pending.js';

/** The record format written out plainly (format.ts): the reference the in-place framing is compared with. */
function frame(line: string): Buffer {
  const payload = Buffer.from(line, 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

const LINES = ['m f=1 1', 'sensor,unit=°C state="x\ny",attr_t_str="é😀" 2', 'x', 'x'.repeat(10_000), '😀'.repeat(3000)];

describe('spool records', () => {
  it('frames appends in place exactly as frame() does, checksums filled in when taken for a commit', () => {
    const pending = new PendingRecords();
    for (const l of LINES) expect(pending.append(l, Number.POSITIVE_INFINITY)).toBe(frame(l).length);
    const total = LINES.reduce((n, l) => n + frame(l).length, 0);
    expect(pending).toMatchObject({ bytes: total, records: LINES.length });
    const { pieces, bytes, records } = pending.oldest(Number.POSITIVE_INFINITY);
    expect({ bytes, records }).toEqual({ bytes: total, records: LINES.length });
    const written = Buffer.concat(pieces.map((p) => p.buf.subarray(p.starts[0] as number, p.end)));
    expect(written.equals(Buffer.concat(LINES.map(frame)))).toBe(true);
    expect(parseRecords(written).batch.lines()).toEqual(LINES);
    expect(pending).toMatchObject({ bytes: total, records: LINES.length }); // pending until committed
    pending.remove(records);
    expect(pending).toMatchObject({ bytes: 0, records: 0 });
  });

  it('takes whole records up to the room (at least one) and refuses a record beyond its room without a trace', () => {
    const pending = new PendingRecords();
    const size = frame('m v=1 1').length;
    for (let i = 0; i < 10; i += 1) pending.append(`m v=${i} 1`, Number.POSITIVE_INFINITY);
    expect(pending.append('m v=9 1', size - 1)).toBe('no_room');
    expect(pending.append('é'.repeat(10), HEADER_BYTES + 15)).toBe('no_room'); // fits in chars, not in UTF-8 bytes
    expect(pending.records).toBe(10);
    expect(pending.oldest(size * 3 + 1).records).toBe(3);
    pending.remove(3);
    expect(pending.oldest(1).records).toBe(1);
    expect(pending.oldest(1).records).toBe(1); // the same record again until it is removed (a failed commit)
    pending.remove(1);
    const rest = pending.oldest(Number.POSITIVE_INFINITY);
    expect(rest.records).toBe(6);
    pending.remove(6);
    expect(pending).toMatchObject({ bytes: 0, records: 0 });
    expect(
      parseRecords(Buffer.concat(rest.pieces.map((p) => p.buf.subarray(p.starts[0] as number, p.end)))).batch.lines(),
    ).toEqual(Array.from({ length: 6 }, (_, i) => `m v=${i + 4} 1`));
  });

  it('parses records into a request body and stops at a bad checksum', () => {
    const buf = Buffer.concat(LINES.map(frame));
    const { batch, consumed, corrupt } = parseRecords(buf);
    expect({ consumed, corrupt }).toEqual({ consumed: buf.length, corrupt: false });
    expect(batch.body.toString('utf8')).toBe(`${LINES.join('\n')}\n`);
    const at = frame(LINES[0] as string).length + HEADER_BYTES;
    buf.writeUInt8(buf.readUInt8(at) ^ 1, at);
    expect(parseRecords(buf)).toMatchObject({ consumed: frame(LINES[0] as string).length, corrupt: true });
  });

  it('takes a zero-length record for corruption (a zero-filled tail), and never frames an empty line', () => {
    const one = frame('m v=1 1');
    const zeros = Buffer.alloc(4096);
    expect(crc32(Buffer.alloc(0))).toBe(0); // why 8 zero bytes would otherwise pass as a record
    expect(parseRecords(Buffer.concat([one, zeros]))).toMatchObject({ consumed: one.length, corrupt: true });
    expect(parseRecords(Buffer.concat([one, zeros])).batch.lines()).toEqual(['m v=1 1']);
    expect(parseRecords(zeros)).toMatchObject({ consumed: 0, corrupt: true });
    const pending = new PendingRecords();
    expect(pending.append('', Number.POSITIVE_INFINITY)).toBe('empty');
    expect(pending).toMatchObject({ bytes: 0, records: 0 });
  });

  it('RecordBatch slices share the body and decode the same lines', () => {
    const batch = parseRecords(Buffer.concat(LINES.map(frame))).batch;
    expect(batch.lines()).toEqual(LINES);
    expect(batch.slice(1, 3).lines()).toEqual(LINES.slice(1, 3));
    expect(batch.slice(3, 5).slice(1, 2).lines()).toEqual([LINES[4]]);
    expect(Buffer.concat([batch.slice(0, 2).body, batch.slice(2, 5).body]).equals(batch.body)).toBe(true);
  });
});
