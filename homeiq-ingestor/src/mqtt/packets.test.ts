import { describe, expect, it, vi } from 'vitest';
import {
  DISCONNECT,
  decodePublish,
  encodeConnect,
  encodePublish,
  encodeSubscribe,
  PacketReader,
  PINGREQ,
} from './packets.js';

// The framing, byte by byte; the client against a real broker is tests/integration/ingestor/mqtt-client.test.ts.
describe('MQTT packets', () => {
  it('frames packets fed one byte at a time, and several in one chunk', () => {
    const stream = Buffer.concat([
      encodePublish('a/b', 'hello', true),
      PINGREQ,
      encodePublish('c', 'x'.repeat(300), false),
      DISCONNECT,
    ]);
    const one = new PacketReader();
    const got = [...stream].flatMap((byte) => one.push(Buffer.from([byte])));
    const all = new PacketReader().push(stream);
    for (const packets of [got, all]) {
      expect(packets.map((p) => [p.type, p.flags, p.body.length])).toEqual([
        [3, 1, 2 + 3 + 5],
        [12, 0, 0],
        [3, 0, 2 + 1 + 300],
        [14, 0, 0],
      ]);
    }
  });

  it('skips a packet over its bound as it streams past, and throws on a remaining length of five bytes', () => {
    const r = new PacketReader(100);
    const big = encodePublish('t', 'y'.repeat(1000), false);
    const after = encodeSubscribe(7, ['z']);
    const packets = [...r.push(big.subarray(0, 10)), ...r.push(Buffer.concat([big.subarray(10), after]))];
    expect(r.skipped).toBe(1);
    expect(packets.map((p) => p.type)).toEqual([8]);
    expect(() => new PacketReader().push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/four bytes/);
  });

  it('encodes CONNECT as 3.1.1 with clean session, will, user name and password flags', () => {
    const p = encodeConnect({
      clientId: 'id',
      keepaliveS: 15,
      username: 'u',
      password: 'p',
      will: { topic: 'w', payload: 'offline', retain: true },
    });
    const [packet] = new PacketReader().push(p);
    expect(packet?.type).toBe(1);
    const body = packet?.body as Buffer;
    expect(body.subarray(0, 7).toString('latin1')).toBe('\u0000\u0004MQTT\u0004');
    expect(body[7]).toBe(0x80 | 0x40 | 0x20 | 0x04 | 0x02);
    expect(body.readUInt16BE(8)).toBe(15);
  });

  it("encodes the remaining length in one to four bytes at the standard's edges, and reads it back", () => {
    // §2.2.3: 127 | 128, 16 383 | 16 384, 2 097 151 | 2 097 152 bytes (topic "t": 3 bytes before the payload).
    const edges: Array<[number, number[]]> = [
      [127, [0x7f]],
      [128, [0x80, 0x01]],
      [16_383, [0xff, 0x7f]],
      [16_384, [0x80, 0x80, 0x01]],
      [2_097_151, [0xff, 0xff, 0x7f]],
      [2_097_152, [0x80, 0x80, 0x80, 0x01]],
    ];
    for (const [length, bytes] of edges) {
      const p = encodePublish('t', 'x'.repeat(length - 3), false);
      expect([...p.subarray(1, 1 + bytes.length)]).toEqual(bytes);
      const [read] = new PacketReader(length).push(p);
      expect(read?.body.length).toBe(length);
    }
  });

  it('counts UTF-8 strings in bytes: a topic of multibyte characters round-trips', () => {
    const topic = 'homeiq/é/ü/😀';
    const [p] = new PacketReader().push(encodePublish(topic, 'ünï', true));
    expect(p?.body.readUInt16BE(0)).toBe(Buffer.byteLength(topic));
    expect(decodePublish(p as NonNullable<typeof p>)).toEqual({ topic, payload: 'ünï' });
  });

  it('joins a packet that trickles in byte by byte once, not once per byte', () => {
    const packet = encodePublish('t', 'z'.repeat(60_000), false);
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const r = new PacketReader();
      const got = [...packet].flatMap((byte) => r.push(Buffer.from([byte])));
      expect(got.map((p) => p.body.length)).toEqual([packet.length - 4]);
      const joined = concat.mock.results.reduce((sum, res) => sum + (res.value as Buffer).length, 0);
      expect(joined).toBeLessThan(4 * packet.length);
    } finally {
      concat.mockRestore();
    }
  });
});
