/**
 * The part of MQTT 3.1.1 (OASIS standard, 2014) that HomeIQ speaks: CONNECT with a last will, PUBLISH at QoS 0,
 * SUBSCRIBE at QoS 0, PINGREQ and DISCONNECT out; CONNACK, SUBACK, PINGRESP and PUBLISH in. Everything else a
 * broker could send is read as a packet of an unknown kind and ignored.
 */

/** Control packet types (§2.2.1). */
export const PacketType = {
  Connect: 1,
  Connack: 2,
  Publish: 3,
  Subscribe: 8,
  Suback: 9,
  Pingreq: 12,
  Pingresp: 13,
  Disconnect: 14,
} as const;

/** CONNACK return codes (§3.2.2.3), for the log line when a broker refuses us. */
const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

export function connackReason(code: number): string {
  return CONNACK_REASONS[code] ?? `return code ${code}`;
}

export interface ConnectOptions {
  clientId: string;
  keepaliveS: number;
  username?: string | undefined;
  password?: string | undefined;
  will?: { topic: string; payload: string; retain: boolean } | undefined;
}

/** A string with its two-byte length in front (§1.5.3); MQTT strings are at most 65,535 bytes. */
function str(s: string | Buffer): Buffer {
  const body = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  if (body.length > 0xffff) throw new RangeError(`MQTT string of ${body.length} bytes (at most 65535)`);
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([len, body]);
}

/** The fixed header: type and flags, then the remaining length in 7-bit groups (§2.2.3). */
function packet(first: number, parts: Buffer[]): Buffer {
  let n = parts.reduce((sum, p) => sum + p.length, 0);
  if (n > 268_435_455) throw new RangeError(`MQTT packet of ${n} bytes`);
  const len: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...len]), ...parts]);
}

export function encodeConnect(o: ConnectOptions): Buffer {
  let flags = 0x02; // clean session: we keep no state on the broker, and republish everything on each connect
  const payload = [str(o.clientId)];
  if (o.will) {
    flags |= 0x04 | (o.will.retain ? 0x20 : 0);
    payload.push(str(o.will.topic), str(o.will.payload));
  }
  if (o.username !== undefined) {
    flags |= 0x80;
    payload.push(str(o.username));
    if (o.password !== undefined) {
      flags |= 0x40;
      payload.push(str(o.password));
    }
  }
  const header = Buffer.concat([str('MQTT'), Buffer.from([4, flags, o.keepaliveS >> 8, o.keepaliveS & 0xff])]);
  return packet(PacketType.Connect << 4, [header, ...payload]);
}

/** QoS 0: fire and forget over TCP; the caller republishes what matters on every connect. */
export function encodePublish(topic: string, payload: string, retain: boolean): Buffer {
  return packet((PacketType.Publish << 4) | (retain ? 1 : 0), [str(topic), Buffer.from(payload, 'utf8')]);
}

export function encodeSubscribe(packetId: number, topics: readonly string[]): Buffer {
  const id = Buffer.from([packetId >> 8, packetId & 0xff]);
  return packet((PacketType.Subscribe << 4) | 0x02, [id, ...topics.flatMap((t) => [str(t), Buffer.from([0])])]);
}

export const PINGREQ = Buffer.from([PacketType.Pingreq << 4, 0]);
export const DISCONNECT = Buffer.from([PacketType.Disconnect << 4, 0]);

/** A packet from the broker; `body` is everything after the fixed header. */
export interface Incoming {
  type: number;
  flags: number;
  body: Buffer;
}

export function decodeConnack(body: Buffer): { code: number } {
  return { code: body.length >= 2 ? (body[1] as number) : 255 };
}

/** An incoming PUBLISH (§3.3); a QoS 1/2 one carries a packet id after the topic, skipped here. */
export function decodePublish(p: Incoming): { topic: string; payload: string } | undefined {
  if (p.body.length < 2) return undefined;
  const topicLength = p.body.readUInt16BE(0);
  const qos = (p.flags >> 1) & 3;
  const start = 2 + topicLength + (qos > 0 ? 2 : 0);
  if (start > p.body.length) return undefined;
  return {
    topic: p.body.toString('utf8', 2, 2 + topicLength),
    payload: p.body.toString('utf8', start),
  };
}

/**
 * Splits the byte stream into packets. Packets larger than `maxPacketBytes` are skipped as they stream past
 * (counted in `skipped`), so a large retained message on a subscribed topic costs neither memory nor the
 * connection. A remaining length longer than four bytes is a protocol error (thrown). Chunks of a packet are
 * joined once, when the last one arrives, so a packet trickling in byte by byte costs its size, not its square.
 */
export class PacketReader {
  /** Received, not yet framed, in arrival order. */
  #parts: Buffer[] = [];
  #have = 0;
  /** Bytes the packet in front needs in all (header included), once its header is known; else 0. */
  #need = 0;
  #skip = 0;
  skipped = 0;

  constructor(private readonly maxPacketBytes = 64 * 1024) {}

  push(chunk: Buffer): Incoming[] {
    let data = chunk;
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, data.length);
      this.#skip -= n;
      data = data.subarray(n);
    }
    if (data.length === 0) return [];
    this.#parts.push(data);
    this.#have += data.length;
    if (this.#have < Math.max(this.#need, 2)) return [];
    let buf = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#have);
    const out: Incoming[] = [];
    this.#need = 0;
    for (;;) {
      const head = header(buf);
      if (!head) break;
      const { first, length, headerBytes } = head;
      if (length > this.maxPacketBytes) {
        this.skipped += 1;
        const here = Math.min(length, buf.length - headerBytes);
        this.#skip = length - here;
        buf = buf.subarray(headerBytes + here);
        continue;
      }
      if (buf.length < headerBytes + length) {
        this.#need = headerBytes + length;
        break;
      }
      out.push({ type: first >> 4, flags: first & 0x0f, body: buf.subarray(headerBytes, headerBytes + length) });
      buf = buf.subarray(headerBytes + length);
    }
    // A copy: the packets above keep slices of the joined buffer, the rest of it need not stay alive.
    this.#parts = buf.length > 0 ? [Buffer.from(buf)] : [];
    this.#have = buf.length;
    return out;
  }
}

/** The fixed header: its first byte, the remaining length (§2.2.3) and the header's size; undefined while partial. */
function header(b: Buffer): { first: number; length: number; headerBytes: number } | undefined {
  if (b.length < 2) return undefined;
  let length = 0;
  for (let i = 1; i <= 4; i++) {
    if (i >= b.length) return undefined;
    const byte = b[i] as number;
    length += (byte & 0x7f) * 128 ** (i - 1);
    if ((byte & 0x80) === 0) return { first: b[0] as number, length, headerBytes: i + 1 };
  }
  throw new Error('malformed MQTT packet: remaining length longer than four bytes');
}
