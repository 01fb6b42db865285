/**
 * HomeIQ's MQTT 3.1.1 client against a REAL Mosquitto (Debian's package, started per file on loopback with
 * password auth): connect, retained publish, subscribe, last will, refused credentials, broker restart. The
 * packets alone: homeiq-ingestor/src/mqtt/packets.test.ts.
 */
import { createLogger, LogSecrets } from '@homeiq/shared';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient, type MqttClientOptions } from '../../../homeiq-ingestor/src/mqtt/client.js';
import { encodeConnect } from '../../../homeiq-ingestor/src/mqtt/packets.js';
import { until } from '../../../dev/until.js';
import { startMosquitto, type Mosquitto } from '../../../dev/peers/mosquitto.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
let broker: Mosquitto;
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
}, 300_000);

afterAll(async () => {
  for (const c of clients) await c.stop();
  await broker?.dispose();
});

interface Probe {
  client: MqttClient;
  messages: Array<{ topic: string; payload: string }>;
  connects: number;
}

function client(over: Partial<MqttClientOptions> = {}): Probe {
  const probe: Probe = { client: undefined as unknown as MqttClient, messages: [], connects: 0 };
  probe.client = new MqttClient({
    host: broker.host,
    port: broker.port,
    username: broker.username,
    password: broker.password,
    clientId: `test-${Math.random().toString(16).slice(2, 10)}`,
    subscriptions: [],
    log,
    onConnected: () => (probe.connects += 1),
    onMessage: (topic, payload) => probe.messages.push({ topic, payload }),
    ...over,
  });
  clients.push(probe.client);
  probe.client.start();
  return probe;
}

describe('MQTT client against Mosquitto', () => {
  it('publishes retained messages that a later subscriber receives, and live ones after', async () => {
    const pub = client();
    await until('the publisher connected', () => pub.client.connected, 10_000);
    expect(pub.client.publish('homeiq-test/retained', '{"a":1}', true)).toBe(true);
    const sub = client({ subscriptions: ['homeiq-test/#'] });
    await until('the retained message', () => sub.messages.length > 0, 10_000);
    expect(sub.messages[0]).toEqual({ topic: 'homeiq-test/retained', payload: '{"a":1}' });
    pub.client.publish('homeiq-test/live', 'x'.repeat(70_000), false);
    pub.client.publish('homeiq-test/live', 'é ünïcode', false);
    await until('the live message', () => sub.messages.length >= 2, 10_000);
    // 70 000 bytes is over the reader's 64 KiB bound: skipped whole, and the next message still arrives intact.
    expect(sub.messages.slice(1)).toEqual([{ topic: 'homeiq-test/live', payload: 'é ünïcode' }]);
  });

  it('refuses to count a wrong password as connected, and says why', async () => {
    const bad = client({ password: 'wrong' });
    await until('the refusal', () => bad.client.stats().lastError !== undefined, 10_000);
    expect(bad.client.connected).toBe(false);
    expect(bad.client.stats().lastError).toMatch(/refused the connection: (not authorized|bad user name or password)/);
    expect(bad.client.publish('homeiq-test/x', 'y', false)).toBe(false);
    expect(bad.client.stats().dropped).toBe(1);
    await bad.client.stop();
  });

  it('the broker publishes the will of a connection that dies without DISCONNECT, not after a clean stop', async () => {
    const sub = client({ subscriptions: ['homeiq-test/will/#'] });
    await until('the subscriber connected', () => sub.client.connected, 10_000);
    const clean = client({ will: { topic: 'homeiq-test/will/clean', payload: 'offline', retain: false } });
    await until('the clean client connected', () => clean.client.connected, 10_000);
    await clean.client.stop();
    // A crash: our CONNECT with a will on a raw socket, then the socket torn down.
    const raw = connect({ host: broker.host, port: broker.port });
    await new Promise((r) => raw.once('connect', r));
    raw.write(
      encodeConnect({
        clientId: 'homeiq-test-crash',
        keepaliveS: 15,
        username: broker.username,
        password: broker.password,
        will: { topic: 'homeiq-test/will/crash', payload: 'offline', retain: false },
      }),
    );
    await new Promise((r) => raw.once('data', r));
    raw.destroy();
    await until('the will of the crashed connection', () => sub.messages.length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(sub.messages).toEqual([{ topic: 'homeiq-test/will/crash', payload: 'offline' }]);
  });

  it('reconnects after the broker restarts and calls onConnected again', async () => {
    const c = client({ subscriptions: ['homeiq-test/again'] });
    await until('connected', () => c.client.connected, 10_000);
    await broker.stop();
    await until('the loss noticed', () => !c.client.connected, 10_000);
    expect(c.client.publish('homeiq-test/again', 'lost', false)).toBe(false);
    await broker.start();
    await until('connected again', () => c.connects === 2, 20_000);
    c.client.publish('homeiq-test/again', 'back', false);
    await until('its own message back through the subscription', () => c.messages.length > 0, 10_000);
    expect(c.messages).toEqual([{ topic: 'homeiq-test/again', payload: 'back' }]);
  }, 60_000);
});
