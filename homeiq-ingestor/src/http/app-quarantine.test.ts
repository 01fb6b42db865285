/**
 * The quarantine endpoints of the ingestor's internal HTTP API (list, discard, retry into the spool) and how points
 * dropped by a full quarantine show in /api/status, /metrics and /health: a real spool and quarantine behind the
 * real app and identity check (callers connect from the admin's address the Supervisor emulator reports).
 */
import { httpRequestRaw } from '@homeiq/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStream } from './event-stream.js';
import { serveIngestorApiOnStores, type StoredApi } from '../../../tests/harness/ingestor-api.js';

const IP = { ingestor: '127.0.54.1', admin: '127.0.54.3', influxdb: '127.0.54.2' };

let api: StoredApi;

beforeAll(async () => {
  api = await serveIngestorApiOnStores(
    IP,
    new EventStream({ bufferSize: 10, maxQueuedBytes: 64 * 1024, heartbeatMs: 100 }),
  );
}, 60_000);

afterAll(() => api?.stop());

const ENTRIES = '/api/quarantine';
const post = (path: string, body: unknown, type?: string) =>
  api.call(path, IP.admin, { method: 'POST', body, ...(type ? { type } : {}) });
const entryIds = async (): Promise<string[]> =>
  (await api.call(ENTRIES, IP.admin)).json().entries.map((e: { id: string }) => e.id);

describe('ingestor HTTP API: quarantine', () => {
  it('lists entries with ids, discards by id or all, retries by id, and validates input', async () => {
    await api.quarantine.add(['bad,a=1 x=1i 1', 'bad,a=2 x=2i 2', 'bad,a=3 x=3i 3'], 400, 'field type conflict');
    const list = (await api.call(ENTRIES, IP.admin)).json();
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
      const r = await post('/api/quarantine/discard', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json().details.length).toBeGreaterThan(0);
    }
    expect((await post('/api/quarantine/discard', '{not json')).status).toBe(400);
    expect((await post('/api/quarantine/discard', 'ids=1', 'text/plain')).status).toBe(415);
    expect((await api.call(ENTRIES, IP.admin)).json().count).toBe(3);

    const d = await post('/api/quarantine/discard', { ids: [ids[0], 'ffffffffffffffff'] });
    expect(d.json()).toEqual({ discarded: 1 });
    expect(await entryIds()).toEqual([ids[1], ids[2]]);

    const before = api.spool.stats().committed;
    const r = await post('/api/quarantine/retry', { ids: [ids[1]] });
    expect(r.json()).toEqual({ requeued: 1, kept: 0, unknown: 0 });
    expect(api.spool.stats().committed).toBe(before + 1);
    expect(await entryIds()).toEqual([ids[2]]);

    await api.quarantine.add(['bad,a=4 x=4i 4'], 422, 'partial write');
    expect((await post('/api/quarantine/discard', { all: true })).json()).toEqual({ discarded: 2 });
    expect((await api.call(ENTRIES, IP.admin)).json()).toMatchObject({ count: 0, entries: [] });
  });

  it('shows rejected points dropped because the quarantine was full in /api/status, /metrics and /health', async () => {
    const { count } = api.quarantine.stats();
    await api.quarantine.add([`big v="${'x'.repeat(1 << 20)}" 1`], 400, 'too big to keep');
    const status = (await api.call('/api/status', IP.admin)).json();
    expect(status.quarantine).toMatchObject({ count, dropped: 1 });
    expect(status.health.checks).toContainEqual(expect.objectContaining({ name: 'quarantine', status: 'amber' }));
    const metrics = (await httpRequestRaw(`${api.base}/metrics`, { localAddress: IP.admin })).body.toString();
    expect(metrics).toMatch(/^# TYPE homeiq_quarantine_dropped_total counter$/m);
    expect(metrics).toMatch(/^homeiq_quarantine_dropped_total 1$/m);
    expect((await api.call(ENTRIES, IP.admin)).json()).toMatchObject({ count, dropped: 1 });
    expect((await api.call('/health', IP.admin)).status).toBe(200); // amber: the add-on is fine, the user has to look
  });
});
