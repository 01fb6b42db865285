/**
 * The ingestor's history import control over its internal HTTP API (`GET/POST/DELETE /api/import`) and the backfill
 * and enrichment status in `/api/status`: the real app and the real Backfill, a scripted HA session (history answered
 * like HA's recorder, exclusive bounds), the identity check against the Supervisor emulator (admin sibling only).
 */
import { Health } from '@homeiq/shared';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backfill } from '../backfill/backfill.js';
import { isoToMicros, microsToIso } from '../ha/history.js';
import { EventStream } from './event-stream.js';
import { EntityFilter } from '../points/filter.js';
import {
  idleCounters,
  idleHaStats,
  quietLog as log,
  serveIngestorApi,
  type IngestorApi,
} from '../../../tests/harness/ingestor-api.js';
import { DAY, H, historyAsked, inDays, NOW, scripted } from '../../../tests/harness/scripted-recorder.js';
import { testPipeline } from '../../../tests/harness/state-pipeline.js';
import { until, type UntilOptions } from '../../../dev/until.js';

const IP = { ingestor: '127.0.52.1', admin: '127.0.52.3', influxdb: '127.0.52.2' };

let dir: string;
let api: IngestorApi;
let backfill: Backfill;
const lines: string[] = [];
const ha = { connected: false };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homeiq-http-import-'));
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
  api = await serveIngestorApi(IP, {
    ...idleCounters(),
    health: new Health(),
    ha: { stats: () => ({ ...idleHaStats(), connected: ha.connected }) },
    writer: { stats: () => ({}) as never },
    spool: { stats: () => ({}) as never, append: () => true, sync: async () => undefined },
    quarantine: { stats: () => ({}) as never, entries: async () => [], remove: async () => 0 },
    stream: new EventStream({ bufferSize: 10, maxQueuedBytes: 1024, heartbeatMs: 60_000 }),
    backfill,
    enricher: { status: () => ({ entitiesTagged: 3 }) as never, areas: () => undefined },
  });
}, 60_000);

afterAll(async () => {
  await backfill?.stop();
  await api?.stop();
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
  type = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await api.call(path, from, { method, body, type });
  return { status: res.status, json: res.json() as Record<string, unknown> };
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
