/**
 * homeiq-influxdb end to end, what it keeps running: the downsampling tasks (mean/min/max/count after a run), the
 * summary for the siblings, and the buckets with their retention, changed from the admin and saved as an option
 * through the Supervisor. The real bundle, a real influxd, the Supervisor emulator; one installation, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type AddonRun } from '../../harness/influxdb-addon.js';
import { endpointsOf, InfluxdbInstall, OPTIONS, type SiblingToken } from '../../harness/influxdb-install.js';

// This file's own loopback addresses (other test files use other ones).
const BLOCK = '127.0.34';
const { IP, MANAGER, INFLUX } = endpointsOf(BLOCK);

let db: InfluxdbInstall;
let run: AddonRun;
let ingestor: SiblingToken;
let admin: SiblingToken;

beforeAll(async () => {
  db = await InfluxdbInstall.create(BLOCK);
  ({ run, ingestor, admin } = await db.startInUse());
}, 600_000);

afterAll(() => db?.dispose());

describe('homeiq-influxdb with a real influxd', () => {
  it('writes downsampled mean/min/max/count after a task run', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t5 = Math.floor(now / 300) * 300 - 240; // inside the last complete 5-minute window
    const t1h = Math.floor(now / 3600) * 3600 - 1800; // inside the last complete hour
    expect(
      await db.write(
        ingestor.token,
        'homeassistant',
        [
          `sensor,entity_id=sensor.t value=10 ${t5}`,
          `sensor,entity_id=sensor.t value=20 ${t5 + 10}`,
          `sensor,entity_id=sensor.t value=60 ${t5 + 20}`,
          `sensor,entity_id=sensor.t state="on" ${t5 + 30}`,
          `sensor,entity_id=sensor.h value=1 ${t1h}`,
          `sensor,entity_id=sensor.h value=3 ${t1h + 60}`,
        ].join('\n'),
      ),
    ).toBe(204);
    expect((await call(`${MANAGER}/api/tasks`, IP.ingestor)).status).toBe(403);
    const tasks = (await call(`${MANAGER}/api/tasks`, IP.admin)).json().tasks as { id: string; name: string }[];
    expect(tasks.map((t) => t.name).sort()).toEqual(['homeiq-downsample-1h', 'homeiq-downsample-5m']);
    for (const t of tasks) {
      const r = await call(`${MANAGER}/api/tasks/${t.id}/run?wait=1`, IP.admin, { method: 'POST' });
      expect(r.status, r.text).toBe(200);
      expect(r.json().status, r.text).toBe('success');
      db.measured[`${t.name}Ms`] = r.json().durationMs;
    }
    const fields = async (bucket: string, entity: string) => {
      const q = await db.query(
        admin.token,
        `from(bucket: "${bucket}") |> range(start: -1d) |> filter(fn: (r) => r.entity_id == "${entity}")`,
      );
      expect(q.status, q.text).toBe(200);
      return Object.fromEntries(q.rows.map((r) => [r['_field'], Number(r['_value'])]));
    };
    expect(await fields('homeassistant_5m', 'sensor.t')).toEqual({ mean: 30, min: 10, max: 60, count: 3 });
    expect(await fields('homeassistant_1h', 'sensor.h')).toEqual({ mean: 2, min: 1, max: 3, count: 2 });
    const listed = (await call(`${MANAGER}/api/tasks`, IP.admin)).json().tasks as {
      lastRunStatus: string;
      lastRunAt: string;
    }[];
    expect(listed.every((t) => t.lastRunStatus === 'success' && t.lastRunAt)).toBe(true);
    const health = (await call(`${MANAGER}/health`, IP.admin)).json();
    expect(health.checks.find((c: { name: string }) => c.name === 'tasks').reason).toBe(
      '2 downsampling tasks active, 2 have run',
    );
  }, 60_000);

  it('summarises health, disk use and the last downsampling run for the siblings only', async () => {
    expect((await call(`${MANAGER}/api/summary`, IP.stranger)).status).toBe(403);
    const admin = await call(`${MANAGER}/api/summary`, IP.admin);
    expect(admin.status, admin.text).toBe(200);
    const r = await call(`${MANAGER}/api/summary`, IP.ingestor);
    expect(r.status, r.text).toBe(200);
    const s = r.json();
    expect(s.health.status).toBe('green');
    expect(s.version).toMatch(/^2\.\d+\.\d+/);
    expect(s.diskBytes).toBeGreaterThan(0);
    expect(s.downsampling).toMatchObject({ tasks: 2, failed: 0, lastRunStatus: 'success' });
    expect(['homeiq-downsample-5m', 'homeiq-downsample-1h']).toContain(s.downsampling.lastRunTask);
    expect(Date.now() - Date.parse(s.downsampling.lastRunAt)).toBeLessThan(2 * 3600_000);
  });

  it('lists buckets with retention, size and cardinality, and changes a retention for the admin only', async () => {
    const r = await call(`${MANAGER}/api/buckets`, IP.admin);
    expect(r.status, r.text).toBe(200);
    const raw = r.json().buckets.find((b: { name: string }) => b.name === 'homeassistant');
    expect(raw).toMatchObject({ role: 'raw', retentionDays: 365 });
    expect(raw.seriesCardinality).toBeGreaterThanOrEqual(2);
    expect(raw.sizeBytes).toBeGreaterThan(0);
    expect((await call(`${MANAGER}/api/buckets`, IP.ingestor)).status).toBe(403);
    expect(
      (
        await call(`${MANAGER}/api/buckets/homeassistant_5m`, IP.admin, {
          method: 'PATCH',
          body: { retentionDays: -1 },
        })
      ).status,
    ).toBe(400);
    const p = await call(`${MANAGER}/api/buckets/homeassistant_5m`, IP.admin, {
      method: 'PATCH',
      body: { retentionDays: 100 },
    });
    expect(p.status, p.text).toBe(200);
    expect(p.json()).toMatchObject({
      name: 'homeassistant_5m',
      retentionDays: 100,
      retentionSeconds: 100 * 86400,
      option: 'retention_5m_days',
    });
    const b = await call(`${INFLUX}/api/v2/buckets?name=homeassistant_5m`, IP.admin, { token: admin.token });
    expect(b.json().buckets[0].retentionRules[0].everySeconds).toBe(100 * 86400);
    // Saved as the add-on's option through the Supervisor, the rest untouched: the next start keeps it.
    expect(await db.supervisorOptions()).toEqual({ ...OPTIONS, retention_5m_days: 100 });
    expect(run.output()).toMatch(
      /retention of homeassistant_5m set to 100 days through the manager API; saved as option retention_5m_days/,
    );
  });

  it('never prints a secret', () => {
    expect(db.secrets.size).toBeGreaterThanOrEqual(5);
    db.expectNoSecretPrinted();
  });
});
