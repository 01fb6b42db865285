/**
 * The ingestor's history import control over its internal HTTP API (`GET/POST/DELETE /api/import`) and the backfill
 * and enrichment status in `/api/status`: the real app and the real Backfill, a scripted HA session (history answered
 * like HA's recorder, exclusive bounds), the identity check against the Supervisor emulator (admin sibling only).
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
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backfill } from '../backfill/backfill.js';
import { EventCounter } from '../event-counter.js';
import type { HaSession } from '../ha/ha-session.js';
import { isoToMicros, microsToIso } from '../ha/history.js';
import { createApp } from './app.js';
import { EventStream } from './event-stream.js';
import { EntityFilter } from '../points/filter.js';
import { startSupervisorEmulator, type SupervisorEmulator } from '../../../dev/supervisor/index.js';
import { testPipeline } from '../../../tests/harness/state-pipeline.js';
import { until, type UntilOptions } from '../../../dev/until.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const IP = { ingestor: '127.0.52.1', admin: '127.0.52.3', influxdb: '127.0.52.2' };
const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const H = 3_600_000_000;
const DAY = 24 * H;
const NOW = 1_795_000_000_000_000;

/** HA's recorder in this test: one change per entity every 2 hours over the last 5 days (sensor.c excluded by the filter). */
const ROWS: Record<string, Array<{ s: string; lu: number }>> = {};
for (const id of ['sensor.a', 'sensor.b', 'sensor.c', 'light.d']) {
  ROWS[id] = [];
  for (let t = NOW - 5 * DAY + 1000; t < NOW; t += 2 * H) ROWS[id].push({ s: String(t % 97), lu: t / 1e6 });
}
/** Rows an import of `days` writes: those in range, but the newest (the get_states snapshot wrote it already). */
const inDays = (id: string, days: number): number =>
  (ROWS[id] ?? []).slice(0, -1).filter((r) => r.lu * 1e6 > NOW - days * DAY - 1).length;

interface Scripted {
  session: HaSession;
  asked: Array<Record<string, unknown>>;
  /** Most history commands in flight at once (one import at a time). */
  maxInFlight: number;
  close(): void;
}

/** A scripted HA session; every history command takes `delayMs`. */
function scripted(connection: number, delayMs = 0): Scripted {
  let closed = false;
  let inFlight = 0;
  const s: Scripted = {
    asked: [],
    maxInFlight: 0,
    close: () => (closed = true),
    session: {
      connection,
      get closed() {
        return closed;
      },
      ended: new Promise(() => undefined),
      async command<T>(msg: Record<string, unknown>): Promise<T> {
        if (closed) throw new Error('Home Assistant connection closed');
        s.asked.push(msg);
        if (msg['type'] === 'get_states') {
          return Object.entries(ROWS).map(([id, r]) => ({
            entity_id: id,
            state: r.at(-1)?.s,
            attributes: {},
            last_updated: microsToIso(Math.round((r.at(-1)?.lu ?? 0) * 1e6)),
          })) as T;
        }
        if (msg['type'] !== 'history/history_during_period') return [] as T;
        inFlight += 1;
        s.maxInFlight = Math.max(s.maxInFlight, inFlight);
        try {
          if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
          if (closed) throw new Error('Home Assistant connection closed');
          const start = isoToMicros(msg['start_time'] as string) as number;
          const end = msg['end_time'] === undefined ? Infinity : (isoToMicros(msg['end_time'] as string) as number);
          const out: Record<string, unknown[]> = {};
          for (const id of msg['entity_ids'] as string[]) {
            const r = (ROWS[id] ?? []).filter((x) => Math.round(x.lu * 1e6) > start && Math.round(x.lu * 1e6) < end);
            if (r.length) out[id] = r;
          }
          return out as T;
        } finally {
          inFlight -= 1;
        }
      },
    },
  };
  return s;
}
const historyAsked = (s: Scripted): Array<Record<string, unknown>> =>
  s.asked.filter((m) => m['type'] === 'history/history_during_period');

let emulator: SupervisorEmulator;
let dir: string;
let http: HttpService;
let backfill: Backfill;
let base: string;
const lines: string[] = [];
const ha = { connected: false };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-http-import-'));
  emulator = await startSupervisorEmulator({});
  const self = emulator.registerAddon({ configPath: join(root, 'homeiq-ingestor/config.yaml'), ip: IP.ingestor });
  emulator.registerAddon({ configPath: join(root, 'homeiq-admin/config.yaml'), ip: IP.admin });
  emulator.registerAddon({ configPath: join(root, 'homeiq-influxdb/config.yaml'), ip: IP.influxdb });
  const supervisor = new SupervisorClient({ baseUrl: emulator.url, token: self.token, localAddress: IP.ingestor });
  const filter = new EntityFilter({
    includeDomains: [],
    includeEntities: [],
    excludeDomains: [],
    excludeEntities: ['sensor.c'],
  });
  const { digests, pipeline } = testPipeline({ sink: { append: (l) => lines.push(l) > 0 }, filter });
  backfill = new Backfill({
    dir: join(dir, 'backfill'),
    pipeline,
    digests,
    accepts: (id) => filter.accepts(id),
    spool: { sync: async () => undefined },
    log,
    historyImportDays: 0,
    windowUs: H,
    batchSize: 2,
    now: () => NOW,
    saveIntervalMs: 60_000,
    recorderSettleMs: 0,
  });
  await backfill.start();
  const stats = <T>(v: () => T) => ({ stats: v });
  http = new HttpService({
    name: 'http',
    host: IP.ingestor,
    port: 0,
    log,
    app: createApp({
      health: new Health(),
      identity: new SiblingIdentity(supervisor, 'homeiq-ingestor', ['homeiq-admin']),
      counter: new EventCounter(),
      ha: stats(() => ({
        connected: ha.connected,
        connects: 1,
        reconnects: 0,
        badFrames: 0,
        invalidMessages: {},
        handlerErrors: 0,
        unknownMessages: 0,
        lastError: undefined,
        haVersion: '2024.3.3',
      })),
      encoder: stats(() => ({ encoded: 0, filtered: 0, dropped: 0, problems: {} }) as never),
      writer: stats(() => ({}) as never),
      spool: { stats: () => ({}) as never, append: () => true, sync: async () => undefined },
      quarantine: { stats: () => ({}) as never, entries: async () => [], remove: async () => 0 },
      stream: new EventStream({ bufferSize: 10, maxQueuedBytes: 1024, heartbeatMs: 60_000 }),
      backfill,
      enricher: { status: () => ({ entitiesTagged: 3 }) as never, areas: () => undefined },
      log,
    }),
  });
  await http.start();
  base = `http://${IP.ingestor}:${http.port()}`;
}, 60_000);

afterAll(async () => {
  await backfill?.stop();
  await http?.stop();
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface ImportStatus {
  state: string;
  days: number;
  progress: number;
  points: number;
  reached: string;
  from: string;
  to: string;
  origin: string;
  entities: string[] | undefined;
  etaSeconds: number | undefined;
  startedAt: string | undefined;
  completedAt: string | undefined;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  from = IP.admin,
  contentType = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await httpRequestRaw(`${base}${path}`, {
    method,
    localAddress: from,
    timeoutMs: 10_000,
    ...(body === undefined
      ? {}
      : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': contentType } }),
  });
  return { status: res.status, json: JSON.parse(res.body.toString('utf8') || '{}') as Record<string, unknown> };
}
const importStatus = async (): Promise<ImportStatus> =>
  (await call('GET', '/api/import')).json['import'] as ImportStatus;

/** Waits show the import's status when they time out. */
const IMPORT: UntilOptions = { ms: 10_000, context: async () => JSON.stringify(await importStatus()) };

describe('history import control (/api/import)', () => {
  it('answers only the admin sibling, and /api/status carries the backfill and enrichment status', async () => {
    expect((await call('GET', '/api/import', undefined, IP.influxdb)).status).toBe(403);
    expect((await call('POST', '/api/import', { days: 1 }, IP.influxdb)).status).toBe(403);
    expect((await call('DELETE', '/api/import', undefined, IP.influxdb)).status).toBe(403);
    const s = await call('GET', '/api/status');
    expect(s.status).toBe(200);
    expect(s.json['backfill']).toMatchObject({ phase: 'idle', import: { state: 'off' } });
    expect(s.json['enrichment']).toEqual({ entitiesTagged: 3 });
    expect(await importStatus()).toMatchObject({ state: 'off', progress: 0, points: 0 });
  });

  it('refuses bad requests with the reason', async () => {
    for (const body of [
      { days: 0 },
      { days: 3651 },
      { days: 1.5 },
      { days: 1, extra: true },
      { days: 1, entities: [] },
      { days: 1, entities: ['not an id'] },
      {},
    ]) {
      const r = await call('POST', '/api/import', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json['error']).toBeDefined();
    }
    expect((await call('POST', '/api/import', '{"days":', IP.admin)).status).toBe(400);
    expect((await call('POST', '/api/import', 'days=1', IP.admin, 'application/x-www-form-urlencoded')).status).toBe(
      415,
    );
    expect((await importStatus()).state).toBe('off');
  });

  it('without a connection the import waits (pending), then runs on the next connection: selected entities, exact range, persisted', async () => {
    const r = await call('POST', '/api/import', { days: 2, entities: ['sensor.a', 'sensor.c'] });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({
      connected: false,
      import: { state: 'pending', days: 2, origin: 'request', entities: ['sensor.a', 'sensor.c'] },
    });
    ha.connected = true;
    const s = scripted(1);
    backfill.onConnected(s.session);
    await until('the import done', async () => (await importStatus()).state === 'done', IMPORT);
    const st = await importStatus();
    expect(st).toMatchObject({
      state: 'done',
      progress: 1,
      points: inDays('sensor.a', 2),
      from: microsToIso(NOW - 2 * DAY),
      to: microsToIso(NOW),
    });
    expect(st.completedAt).toBeDefined();
    // Only the selected entity the include/exclude rules accept (sensor.c is excluded), 48 one-hour windows.
    const hist = historyAsked(s);
    expect(new Set(hist.flatMap((m) => m['entity_ids'] as string[]))).toEqual(new Set(['sensor.a']));
    expect(hist.length).toBe(48);
    expect(JSON.parse(await readFile(join(dir, 'backfill', 'import.json'), 'utf8'))).toMatchObject({
      done: true,
      requested: true,
      days: 2,
      entities: ['sensor.a', 'sensor.c'],
    });
  });

  it('runs on demand while connected, with progress and an ETA; a new request replaces the running one (one at a time)', async () => {
    const s = scripted(2, 15);
    backfill.onConnected(s.session);
    await until('the connection task done', () => backfill.status().phase === 'done', IMPORT);
    const first = await call('POST', '/api/import', { days: 5 });
    expect(first.json).toMatchObject({ connected: true, import: { days: 5, origin: 'request' } });
    await until('some progress', async () => (await importStatus()).progress > 0.05, IMPORT);
    const mid = await importStatus();
    expect(mid.state).toBe('running');
    expect(mid.etaSeconds).toBeGreaterThanOrEqual(0);
    expect(mid.startedAt).toBeDefined();
    const second = await call('POST', '/api/import', { days: 1, entities: ['light.d'] });
    expect(second.status).toBe(202);
    expect((second.json['import'] as ImportStatus).days).toBe(1);
    await until('the replacement done', async () => (await importStatus()).state === 'done', { ...IMPORT, ms: 20_000 });
    expect(await importStatus()).toMatchObject({
      days: 1,
      progress: 1,
      points: inDays('light.d', 1),
      entities: ['light.d'],
    });
    expect(s.maxInFlight).toBe(1);
    expect(historyAsked(s).at(-1)?.['entity_ids']).toEqual(['light.d']);
  });

  it('DELETE cancels the running import (it stops asking HA); DELETE with nothing running says so', async () => {
    const s = scripted(3, 20);
    backfill.onConnected(s.session);
    await until('the connection task done', () => backfill.status().phase === 'done', IMPORT);
    await call('POST', '/api/import', { days: 5 });
    await until(
      'running',
      async () => (await importStatus()).state === 'running' && (await importStatus()).progress > 0,
      IMPORT,
    );
    const d = await call('DELETE', '/api/import');
    expect(d.status).toBe(200);
    expect(d.json).toMatchObject({ cancelled: true, import: { state: 'cancelled' } });
    const asked = historyAsked(s).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(historyAsked(s).length).toBe(asked);
    const st = await importStatus();
    expect(st.state).toBe('cancelled');
    expect(st.progress).toBeLessThan(1);
    expect((await call('DELETE', '/api/import')).json).toMatchObject({ cancelled: false });
  });

  it('resumes from where it got after the connection is lost mid-import, without asking again for finished windows', async () => {
    const a = scripted(4, 10);
    backfill.onConnected(a.session);
    await until('the connection task done', () => backfill.status().phase === 'done', IMPORT);
    await call('POST', '/api/import', { days: 3, entities: ['sensor.b'] });
    await until('a third done', async () => (await importStatus()).progress > 0.3, IMPORT);
    a.close();
    await until('pending again', async () => (await importStatus()).state === 'pending', IMPORT);
    const reached = isoToMicros((await importStatus()).reached) as number;
    expect(reached).toBeGreaterThan(NOW - 3 * DAY);
    const b = scripted(5);
    backfill.onConnected(b.session);
    await until('done', async () => (await importStatus()).state === 'done', IMPORT);
    const starts = historyAsked(b).map((m) => isoToMicros(m['start_time'] as string) as number);
    expect(Math.min(...starts)).toBe(reached - 1);
    expect((await importStatus()).points).toBe(inDays('sensor.b', 3));
  });
});
