/**
 * The ingestor's internal HTTP API with its real identity check: the app is served on its own loopback address,
 * callers connect from the addresses the Supervisor emulator reports for the add-ons, and the check asks the
 * emulator. Also the quarantine endpoints and the live event stream (ring buffer, filters, slow clients).
 */
import {
  createLogger,
  Health,
  HttpService,
  httpRequestRaw,
  LogSecrets,
  SiblingIdentity,
  SupervisorClient,
} from '@homeiq/shared';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventCounter } from '../event-counter.js';
import type { HaEvent } from '../ha/messages.js';
import { createApp } from './app.js';
import { EventStream, type StreamEvent } from './event-stream.js';
import { Quarantine } from '../influx/quarantine.js';
import { Spool } from '../spool/spool.js';
import {
  startSupervisorEmulator,
  type RegisteredAddon,
  type SupervisorEmulator,
} from '../../../dev/supervisor/index.js';
import { until } from '../../../dev/until.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const IP = {
  ingestor: '127.0.51.1',
  admin: '127.0.51.3',
  influxdb: '127.0.51.2',
  stranger: '127.0.51.4',
  unregistered: '127.0.51.9',
  adminMoved: '127.0.51.13',
};
const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });

let emulator: SupervisorEmulator;
let admin: RegisteredAddon;
let dir: string;
let spool: Spool;
let quarantine: Quarantine;
let health: Health;
let stream: EventStream;
let http: HttpService;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-http-api-'));
  emulator = await startSupervisorEmulator({});
  const self = emulator.registerAddon({ configPath: join(root, 'homeiq-ingestor/config.yaml'), ip: IP.ingestor });
  admin = emulator.registerAddon({ configPath: join(root, 'homeiq-admin/config.yaml'), ip: IP.admin });
  emulator.registerAddon({ configPath: join(root, 'homeiq-influxdb/config.yaml'), ip: IP.influxdb });
  const other = join(dir, 'other.yaml');
  await writeFile(other, 'name: other\nversion: "1.0.0"\nslug: some-other-addon\ndescription: test\narch: [amd64]\n');
  emulator.registerAddon({ configPath: other, ip: IP.stranger });
  const supervisor = new SupervisorClient({ baseUrl: emulator.url, token: self.token, localAddress: IP.ingestor });
  spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 1 << 26, log });
  health = new Health();
  quarantine = new Quarantine({ file: join(dir, 'quarantine.jsonl'), maxBytes: 1 << 20, log, health });
  await spool.start();
  await quarantine.start();
  stream = new EventStream({ bufferSize: 200, maxQueuedBytes: 64 * 1024, heartbeatMs: 100 });
  const stats = <T>(v: T) => ({ stats: () => v });
  http = new HttpService({
    name: 'http',
    host: IP.ingestor,
    port: 0,
    log,
    app: createApp({
      health,
      identity: new SiblingIdentity(supervisor, 'homeiq-ingestor', ['homeiq-admin']),
      counter: new EventCounter(),
      ha: stats({
        connected: true,
        connects: 1,
        reconnects: 0,
        badFrames: 0,
        invalidMessages: {},
        handlerErrors: 0,
        unknownMessages: 0,
        lastError: undefined,
        haVersion: '2026.1.0',
      } as never),
      encoder: stats({ encoded: 0, filtered: 0, dropped: 0, problems: {} } as never),
      writer: stats({
        written: 0,
        batches: 0,
        requests: 0,
        retries: 0,
        bisections: 0,
        quarantined: 0,
        lastError: undefined,
        lastSuccessAt: undefined,
        lastBatchMs: undefined,
        failingSince: undefined,
      }),
      spool,
      quarantine,
      stream,
      log,
    }),
  });
  await http.start();
  base = `http://${IP.ingestor}:${http.port()}`;
}, 60_000);

afterAll(async () => {
  stream?.close();
  await http?.stop();
  await spool?.stop();
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function call(
  path: string,
  from: string,
  opts: { method?: string; body?: unknown; type?: string } = {},
  // biome-ignore lint/suspicious/noExplicitAny: a test reads response fields directly; typing each body adds nothing
): Promise<{ status: number; json: () => any }> {
  const body =
    opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await httpRequestRaw(`${base}${path}`, {
    method: opts.method ?? 'GET',
    headers: body !== undefined ? { 'Content-Type': opts.type ?? 'application/json' } : {},
    localAddress: from,
    timeoutMs: 10_000,
    ...(body !== undefined ? { body } : {}),
  });
  const text = res.body.toString('utf8');
  return { status: res.status, json: () => JSON.parse(text) };
}

function event(entity: string, state: string, extra: Record<string, unknown> = {}): HaEvent {
  return {
    event_type: 'state_changed',
    time_fired: new Date().toISOString(),
    data: {
      entity_id: entity,
      old_state: { state: 'old' },
      new_state: {
        state,
        attributes: { unit_of_measurement: 'W', friendly_name: `Name of ${entity}`, big: 'x'.repeat(500), ...extra },
      },
    },
  };
}

/** An SSE client from `from`; collects parsed events. */
function subscribe(
  query: string,
  from: string,
  headers: Record<string, string> = {},
): Promise<{ events: StreamEvent[]; res: IncomingMessage; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/api/events/stream${query}`,
      { localAddress: from, headers: { Accept: 'text/event-stream', ...headers } },
      (res) => {
        const events: StreamEvent[] = [];
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (data) events.push(JSON.parse(data.slice(6)) as StreamEvent);
          }
        });
        res.on('error', () => undefined);
        resolve({ events, res, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ingestor HTTP API: identity through the Supervisor', () => {
  it('answers /health to anyone and everything else only to the admin sibling', async () => {
    for (const from of [IP.admin, IP.stranger, IP.unregistered, IP.influxdb])
      expect((await call('/health', from)).status).toBe(200);
    expect((await call('/api/status', IP.admin)).status).toBe(200);
    expect((await call('/metrics', IP.admin)).status).toBe(200);
    expect((await call('/api/quarantine', IP.admin)).status).toBe(200);
    // No enricher, as with ha_compatible: no area names to give (the admin then shows area ids).
    expect((await call('/api/registry/areas', IP.admin)).json().error).toMatch(/not read while ha_compatible is on/);
    for (const from of [IP.stranger, IP.unregistered, IP.influxdb, IP.ingestor]) {
      for (const path of [
        '/api/status',
        '/metrics',
        '/api/quarantine',
        '/api/registry/areas',
        '/api/events/stream',
        '/nope',
      ]) {
        const r = await call(path, from);
        expect(r.status, `${path} from ${from}`).toBe(403);
      }
      expect((await call('/api/quarantine/discard', from, { method: 'POST', body: { all: true } })).status).toBe(403);
    }
  });

  it('follows the Supervisor: an admin add-on reinstalled at a new address is trusted there only', async () => {
    emulator.unregisterAddon(admin.slug);
    expect((await call('/api/status', IP.admin)).status).toBe(403);
    admin = emulator.registerAddon({ configPath: join(root, 'homeiq-admin/config.yaml'), ip: IP.adminMoved });
    expect((await call('/api/status', IP.adminMoved)).status).toBe(200);
    expect((await call('/api/status', IP.admin)).status).toBe(403);
    emulator.unregisterAddon(admin.slug);
    admin = emulator.registerAddon({ configPath: join(root, 'homeiq-admin/config.yaml'), ip: IP.admin });
    expect((await call('/api/status', IP.admin)).status).toBe(200);
  });
});

describe('ingestor HTTP API: quarantine', () => {
  it('lists entries with ids, discards by id or all, retries by id, and validates input', async () => {
    await quarantine.add(['bad,a=1 x=1i 1', 'bad,a=2 x=2i 2', 'bad,a=3 x=3i 3'], 400, 'field type conflict');
    const list = (await call('/api/quarantine', IP.admin)).json();
    expect(list.count).toBe(3);
    const ids: string[] = list.entries.map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(3);
    expect(list.entries[0]).toMatchObject({ status: 400, reason: 'field type conflict', line: 'bad,a=1 x=1i 1' });

    for (const body of [
      {},
      { ids: [] },
      { ids: ['nothex'] },
      { all: false },
      { all: true, ids: [ids[0]] },
      { ids: [ids[0]], extra: 1 },
    ]) {
      const r = await call('/api/quarantine/discard', IP.admin, { method: 'POST', body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json().details.length).toBeGreaterThan(0);
    }
    expect((await call('/api/quarantine/discard', IP.admin, { method: 'POST', body: '{not json' })).status).toBe(400);
    expect(
      (await call('/api/quarantine/discard', IP.admin, { method: 'POST', body: 'ids=1', type: 'text/plain' })).status,
    ).toBe(415);
    expect((await call('/api/quarantine', IP.admin)).json().count).toBe(3);

    const d = await call('/api/quarantine/discard', IP.admin, {
      method: 'POST',
      body: { ids: [ids[0], 'ffffffffffffffff'] },
    });
    expect(d.json()).toEqual({ discarded: 1 });
    expect((await call('/api/quarantine', IP.admin)).json().entries.map((e: { id: string }) => e.id)).toEqual([
      ids[1],
      ids[2],
    ]);

    const before = spool.stats().committed;
    const r = await call('/api/quarantine/retry', IP.admin, { method: 'POST', body: { ids: [ids[1]] } });
    expect(r.json()).toEqual({ requeued: 1, kept: 0, unknown: 0 });
    expect(spool.stats().committed).toBe(before + 1);
    expect((await call('/api/quarantine', IP.admin)).json().entries.map((e: { id: string }) => e.id)).toEqual([ids[2]]);

    await quarantine.add(['bad,a=4 x=4i 4'], 422, 'partial write');
    expect((await call('/api/quarantine/discard', IP.admin, { method: 'POST', body: { all: true } })).json()).toEqual({
      discarded: 2,
    });
    expect((await call('/api/quarantine', IP.admin)).json()).toMatchObject({ count: 0, entries: [] });
  });

  it('shows rejected points dropped because the quarantine was full in /api/status, /metrics and /health', async () => {
    const { count } = quarantine.stats();
    await quarantine.add([`big v="${'x'.repeat(1 << 20)}" 1`], 400, 'too big to keep');
    const status = (await call('/api/status', IP.admin)).json();
    expect(status.quarantine).toMatchObject({ count, dropped: 1 });
    expect(status.health.checks).toContainEqual(expect.objectContaining({ name: 'quarantine', status: 'amber' }));
    const metrics = (await httpRequestRaw(`${base}/metrics`, { localAddress: IP.admin })).body.toString();
    expect(metrics).toMatch(/^# TYPE homeiq_quarantine_dropped_total counter$/m);
    expect(metrics).toMatch(/^homeiq_quarantine_dropped_total 1$/m);
    expect((await call('/api/quarantine', IP.admin)).json()).toMatchObject({ count, dropped: 1 });
    expect((await call('/health', IP.admin)).status).toBe(200); // amber: the add-on is fine, the user has to look
  });
});

describe('ingestor HTTP API: live event stream', () => {
  it('replays the last 200 events to a late joiner, then streams live, filtered by domain and entity', async () => {
    for (let i = 0; i < 250; i += 1) stream.publish(event(i % 2 === 0 ? `sensor.s${i}` : `light.l${i}`, String(i)));
    stream.publish({
      event_type: 'call_service',
      time_fired: new Date().toISOString(),
      data: { domain: 'light', service: 'turn_on' },
    });
    const all = await subscribe('', IP.admin);
    await until('the buffer', () => all.events.length === 200);
    expect(all.events[0]?.id).toBe(52);
    expect(all.events.at(-1)).toMatchObject({ id: 251, type: 'call_service' });
    const first = all.events[0] as StreamEvent;
    expect(first).toEqual({
      id: 52,
      time: first.time,
      type: 'state_changed',
      entity_id: 'light.l51',
      state: '51',
      old_state: 'old',
      unit: 'W',
      name: 'Name of light.l51',
    });
    expect(JSON.stringify(first).length).toBeLessThan(200); // attributes other than unit and name stay out

    const sensors = await subscribe('?domain=sensor', IP.admin);
    // Ids 52..251 are events 51..250: even ones are sensors (52..248: 99 of them); sensor.s2 is no longer buffered.
    const one = await subscribe('?entity=light.l24?,sensor.s2', IP.admin);
    const resumed = await subscribe('', IP.admin, { 'Last-Event-ID': '245' });
    await until(
      'filtered replay',
      () => sensors.events.length === 99 && one.events.length === 5 && resumed.events.length === 6,
    );
    expect(sensors.events.every((e) => e.entity_id?.startsWith('sensor.'))).toBe(true);
    expect(one.events.map((e) => e.entity_id)).toEqual([
      'light.l241',
      'light.l243',
      'light.l245',
      'light.l247',
      'light.l249',
    ]);
    expect(resumed.events.map((e) => e.id)).toEqual([246, 247, 248, 249, 250, 251]);

    stream.publish(event('sensor.live', 'on'));
    stream.publish(event('switch.live', 'off'));
    await until('live events', () => all.events.length === 202 && sensors.events.length === 100);
    expect(sensors.events.at(-1)).toMatchObject({ entity_id: 'sensor.live', state: 'on' });
    expect(one.events).toHaveLength(5);
    expect((await call('/api/events/stream?domain=Bad-Domain', IP.admin)).status).toBe(400);
    for (const c of [all, sensors, one, resumed]) c.close();
  });

  it('drops a client that stops reading, counts it, and keeps serving the others', async () => {
    const fast = await subscribe('?domain=sensor', IP.admin);
    // A client that sends its request and never reads the response.
    const slow = connect({ host: IP.ingestor, port: http.port(), localAddress: IP.admin });
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.pause();
    slow.write('GET /api/events/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    await until('the slow client is attached', () => stream.stats().clients === 2);
    const droppedBefore = stream.stats().droppedClients;
    let published = 0;
    const start = fast.events.length;
    // Enough data to fill the kernel socket buffers and the 64 KiB queue bound, yielding so the sockets drain.
    // Bursts of 50 (~18 KB) stay under the fast client's 64 KiB bound; the reader in this same process catches up between them.
    for (let round = 0; round < 4000 && stream.stats().droppedClients === droppedBefore; round += 1) {
      for (let i = 0; i < 50; i += 1) {
        stream.publish(event('sensor.flood', String(published), { friendly_name: `flood ${'n'.repeat(200)}` }));
        published += 1;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(stream.stats().droppedClients).toBe(droppedBefore + 1);
    await until('the fast client got everything', () => fast.events.length - start === published, 20_000);
    const metrics = (await httpRequestRaw(`${base}/metrics`, { localAddress: IP.admin })).body.toString();
    expect(metrics).toMatch(new RegExp(`^homeiq_stream_dropped_clients_total ${droppedBefore + 1}$`, 'm'));
    slow.destroy();
    fast.close();
  }, 60_000);
});

describe('ingestor HTTP API: Supervisor unreachable', () => {
  it('answers 503 (cannot tell who calls) while /health still answers', async () => {
    await emulator.stop();
    expect((await call('/api/status', IP.admin)).status).toBe(503);
    expect((await call('/api/quarantine', IP.admin)).json().error).toMatch(
      /cannot check the caller with the Supervisor/,
    );
    expect((await call('/health', IP.admin)).status).toBe(200);
  });
});
