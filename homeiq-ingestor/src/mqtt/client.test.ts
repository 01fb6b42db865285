import { Backoff, createLogger, LogSecrets } from '@homeiq/shared';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../dev/until.js';
import { MqttClient, type MqttClientOptions } from './client.js';
import { encodePublish, PacketReader, PacketType } from './packets.js';

// Brokers that misbehave, which a real Mosquitto does not: an in-process TCP server on loopback speaking raw
// bytes. The client against a real broker is tests/integration/ingestor/mqtt-client.test.ts.

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const CONNACK_OK = Buffer.from([PacketType.Connack << 4, 2, 0, 0]);
const connack = (code: number): Buffer => Buffer.from([PacketType.Connack << 4, 2, 0, code]);

/** A broker that runs `script` on each connection (n = 1 for the first) once the client's CONNECT arrived. */
async function broker(
  script: (socket: Socket, n: number) => void,
): Promise<{ port: number; connections: number[]; received: number[] }> {
  const connections: number[] = [];
  const received: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    connections.push(Date.now());
    const n = connections.length;
    const reader = new PacketReader();
    let greeted = false;
    socket.on('data', (chunk) => {
      for (const p of reader.push(chunk)) {
        received.push(p.type);
        if (p.type === PacketType.Connect && !greeted) {
          greeted = true;
          script(socket, n);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.64.1', r));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { port: (server.address() as { port: number }).port, connections, received };
}

function client(port: number, over: Partial<MqttClientOptions> = {}) {
  const seen = { connects: 0, messages: [] as string[] };
  const c = new MqttClient({
    host: '127.0.64.1',
    port,
    clientId: 'test',
    subscriptions: ['homeassistant/status'],
    log,
    onConnected: () => {
      seen.connects += 1;
    },
    onMessage: (topic, payload) => seen.messages.push(`${topic}=${payload}`),
    // random 1: every delay is its window's ceiling: 20, 40, 80, 160, 160 … ms.
    backoff: new Backoff({ initialMs: 20, maxMs: 160, random: () => 1 }),
    ...over,
  });
  cleanups.push(() => c.stop());
  c.start();
  return { c, seen };
}

describe('MQTT client against a broken broker', () => {
  it('a refused CONNACK ends the connection even when more packets follow it in the same chunk', async () => {
    const b = await broker((s) => s.write(Buffer.concat([connack(5), CONNACK_OK, encodePublish('t', 'x', false)])));
    const { c, seen } = client(b.port);
    await until('a second attempt', () => b.connections.length >= 2, 5000);
    expect(seen).toEqual({ connects: 0, messages: [] });
    expect(c.stats()).toMatchObject({ connected: false, connects: 0 });
    expect(c.stats().lastError).toMatch(/refused the connection: not authorized/);
  });

  it('a packet before CONNACK, or a second CONNACK, is a protocol error: the connection is dropped', async () => {
    const b = await broker((s, n) => {
      if (n === 1) s.write(Buffer.concat([encodePublish('homeassistant/status', 'online', false), CONNACK_OK]));
      if (n === 2) s.write(Buffer.concat([CONNACK_OK, CONNACK_OK]));
      // Later ones stay silent.
    });
    const lines: string[] = [];
    const { seen } = client(b.port, {
      log: createLogger({ level: 'warning', name: 'test', secrets: new LogSecrets(), write: (l) => lines.push(l) }),
    });
    await until('three attempts', () => b.connections.length >= 3, 5000);
    expect(seen).toEqual({ connects: 1, messages: [] });
    expect(lines.join('')).toMatch(/protocol error: the broker sent packet type 3 before CONNACK/);
    expect(lines.join('')).toMatch(/protocol error: the broker sent a second CONNACK/);
  });

  it('an owner callback that throws closes the connection instead of escaping the socket', async () => {
    const b = await broker((s) =>
      s.write(Buffer.concat([CONNACK_OK, encodePublish('homeassistant/status', 'online', false)])),
    );
    const { c } = client(b.port, {
      onMessage: () => {
        throw new Error('owner bug');
      },
    });
    await until('a reconnect after the error', () => b.connections.length >= 2, 5000);
    expect(c.stats().lastError).toBe('owner bug');
  });

  it('a broker that accepts and hangs up at once: the retries back off instead of resetting on every CONNACK', async () => {
    const b = await broker((s) => s.end(CONNACK_OK));
    const { c } = client(b.port);
    await until('six connections', () => b.connections.length >= 6, 10_000);
    await c.stop();
    const gaps = b.connections.slice(1).map((t, i) => t - (b.connections[i] as number));
    // 20, 40, 80, 160, 160 ms ceilings: the last gaps are at least the growing delays, not 20 ms each time.
    expect(gaps.slice(2).every((g) => g >= 70)).toBe(true);
  });

  it('no CONNACK in time, junk framing, and no PINGRESP each end the connection with a reason, then it retries', async () => {
    const silent = await broker(() => undefined);
    const a = client(silent.port, { connectTimeoutMs: 200 });
    await until('the connect timeout', () => silent.connections.length >= 2, 5000);
    expect(a.c.stats().lastError).toMatch(/did not accept the connection in time/);

    // Remaining length in five bytes: not MQTT.
    const junk = await broker((s) => s.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])));
    const j = client(junk.port);
    await until('junk noticed', () => junk.connections.length >= 2, 5000);
    expect(j.c.stats().lastError).toMatch(/remaining length longer than four bytes/);

    // Accepts, then never answers a PINGREQ: dead after two keepalive periods.
    const deaf = await broker((s) => s.write(CONNACK_OK));
    const d = client(deaf.port, { keepaliveS: 1 });
    await until('connected', () => d.c.connected, 5000);
    const since = Date.now();
    await until('the silence noticed', () => !d.c.connected, 5000);
    expect(Date.now() - since).toBeGreaterThanOrEqual(1500);
    expect(d.c.stats().lastError).toMatch(/no answer from the broker within 1 s/);
    expect(deaf.received).toContain(PacketType.Pingreq);
  });
});
