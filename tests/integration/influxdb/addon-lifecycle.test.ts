/**
 * homeiq-influxdb end to end, the later life of an installation: a stop and restart that keep data and tokens and
 * apply changed options, a crashed influxd restarted, a cold backup restored into a fresh data dir, and a change
 * of the bucket option. The real bundle, a real influxd, the Supervisor emulator; one installation, in order.
 */
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, childPids, type AddonRun } from '../../harness/influxdb-addon.js';
import { endpointsOf, InfluxdbInstall, T0, type SiblingToken } from '../../harness/influxdb-install.js';
import { until } from '../../../dev/until.js';

// This file's own loopback addresses (other test files use other ones).
const BLOCK = '127.0.35';
const { IP, MANAGER, INFLUX } = endpointsOf(BLOCK);

let db: InfluxdbInstall;
let run: AddonRun;
let ingestor: SiblingToken;
let admin: SiblingToken;
let operatorToken: string;

beforeAll(async () => {
  db = await InfluxdbInstall.create(BLOCK);
  // As the steps of addon-onboarding and addon-downsampling leave it: sensor.a written twice, the 5-minute bucket's
  // retention set to 100 days from the admin (saved as its option), one downsampling run over the last 5 minutes.
  ({ run, operatorToken, ingestor, admin } = await db.startInUse());
  const t5 = Math.floor(Date.now() / 1000 / 300) * 300 - 240;
  const lines = [`sensor,entity_id=sensor.a value=1 ${T0}`, `sensor,entity_id=sensor.a value=2 ${T0 + 1}`];
  expect(
    await db.write(ingestor.token, 'homeassistant', [...lines, `sensor,entity_id=sensor.t value=10 ${t5}`].join('\n')),
  ).toBe(204);
  const retention = await call(`${MANAGER}/api/buckets/homeassistant_5m`, IP.admin, {
    method: 'PATCH',
    body: { retentionDays: 100 },
  });
  expect(retention.status, retention.text).toBe(200);
  const tasks = (await call(`${MANAGER}/api/tasks`, IP.admin)).json().tasks as { id: string; name: string }[];
  const t5task = tasks.find((t) => t.name === 'homeiq-downsample-5m') as { id: string };
  const ran = await call(`${MANAGER}/api/tasks/${t5task.id}/run?wait=1`, IP.admin, { method: 'POST' });
  expect(ran.json().status, ran.text).toBe('success');
}, 600_000);

afterAll(() => db?.dispose());

describe('homeiq-influxdb with a real influxd', () => {
  it('stops on SIGTERM with exit 0, and a restart keeps data and tokens and applies a retention change', async () => {
    const stopped = await run.terminate();
    expect(stopped.code).toBe(0);
    // influxd must have closed its databases itself (SIGINT), not died on a signal.
    expect(run.output()).toContain('influxd stopped (exit code 0)');
    expect(stopped.ms).toBeLessThan(110_000);
    db.measured['sigtermStopMs'] = stopped.ms;
    // The user changes another retention in the Configuration tab; the Supervisor writes what it holds.
    await db.supervisorOptions({ ...(await db.supervisorOptions()), retention_days: 30 });
    run = await db.startFromSupervisorOptions();
    db.measured['restartToHealthyMs'] = await db.healthy(run);
    const retention = async (name: string) =>
      (await call(`${INFLUX}/api/v2/buckets?name=${name}`, IP.admin, { token: admin.token })).json().buckets[0]
        .retentionRules[0].everySeconds;
    expect(await retention('homeassistant_5m')).toBe(100 * 86400);
    const q = await db.query(
      ingestor.token,
      'from(bucket: "homeassistant") |> range(start: -7d) |> filter(fn: (r) => r.entity_id == "sensor.a")',
    );
    expect(q.rows.map((r) => r['_value'])).toEqual(['1', '2']);
    expect(await retention('homeassistant')).toBe(30 * 86400);
    expect(run.output()).not.toMatch(/onboarded/);
    expect(run.output()).not.toMatch(/bucket homeassistant_5m: retention/);
  }, 150_000);

  it('restarts a crashed influxd and says so in /health', async () => {
    const [pid] = await childPids(run.child.pid);
    expect(pid).toBeGreaterThan(0);
    const killedAt = Date.now();
    process.kill(pid as number, 'SIGKILL');
    const red = await until(
      'health shows the crash',
      async () => {
        const r = await call(`${MANAGER}/health`, IP.admin);
        const c = r.json().checks.find((x: { name: string }) => x.name === 'influxd');
        return r.status === 503 && /crashed \(killed by SIGKILL\)/.test(c.reason) ? c.reason : undefined;
      },
      { ms: 10_000, everyMs: 20 },
    );
    expect(red).toMatch(/restart #1/);
    const green = await until(
      'health green again',
      async () => {
        const r = await call(`${MANAGER}/health`, IP.admin);
        const c = r.json().checks.find((x: { name: string }) => x.name === 'influxd');
        return r.status === 200 && c.status === 'green' ? c.reason : undefined;
      },
      { ms: 30_000, everyMs: 50 },
    );
    db.measured['crashToHealthyMs'] = Date.now() - killedAt;
    expect(green).toMatch(/restarted 1 time\(s\) after a crash, last: killed by SIGKILL/);
    expect(run.output()).toMatch(/influxd stopped unexpectedly \(killed by SIGKILL\)/);
    expect(await db.write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.a value=3 ${T0 + 2}`)).toBe(204);
  }, 60_000);

  it('survives a cold backup and restore into a fresh data dir', async () => {
    expect((await run.terminate()).code).toBe(0);
    const restored = join(db.tmp, 'restored');
    await cp(db.dataDir, restored, { recursive: true });
    await rm(db.dataDir, { recursive: true, force: true });
    db.dataDir = restored;
    run = await db.startFromSupervisorOptions();
    await db.healthy(run);
    const q = await db.query(
      ingestor.token,
      'from(bucket: "homeassistant") |> range(start: -7d) |> filter(fn: (r) => r.entity_id == "sensor.a")',
    );
    expect(q.rows.map((r) => r['_value'])).toEqual(['1', '2', '3']);
    const ds = await db.query(
      admin.token,
      'from(bucket: "homeassistant_5m") |> range(start: -1d) |> filter(fn: (r) => r._field == "count")',
    );
    expect(ds.rows.length).toBeGreaterThan(0);
    expect((await run.terminate()).code).toBe(0);
  }, 90_000);

  it('moves to a new bucket when the bucket option changes, and leaves the old bucket and its data alone', async () => {
    await db.supervisorOptions({ ...(await db.supervisorOptions()), bucket: 'homeiq' });
    run = await db.startFromSupervisorOptions();
    await db.healthy(run);
    expect(run.output()).toMatch(/raw bucket changed to homeiq; revoked 2 sibling token\(s\)/);
    // The siblings' old tokens are revoked; asking again gives tokens for the new bucket.
    expect(await db.write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.a value=4 ${T0 + 3}`)).toBe(401);
    expect((await db.query(admin.token, 'from(bucket: "homeassistant") |> range(start: -7d)')).status).toBe(401);
    ingestor = await db.token(IP.ingestor);
    admin = await db.token(IP.admin);
    expect(ingestor).toMatchObject({
      bucket: 'homeiq',
      buckets: { raw: 'homeiq', downsampled: ['homeiq_5m', 'homeiq_1h'] },
    });
    expect(await db.write(ingestor.token, 'homeiq', `sensor,entity_id=sensor.n value=5 ${T0}`)).toBe(204);
    expect(await db.write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.n value=5 ${T0}`)).not.toBe(204);
    // The old bucket keeps its data and its retention; it is listed as "other".
    const listed = (await call(`${MANAGER}/api/buckets`, IP.admin)).json().buckets as {
      name: string;
      role: string;
      retentionDays: number;
    }[];
    expect(Object.fromEntries(listed.map((b) => [b.name, b.role]))).toMatchObject({
      homeiq: 'raw',
      homeiq_5m: 'downsampled',
      homeiq_1h: 'downsampled',
      homeassistant: 'other',
      homeassistant_5m: 'other',
      homeassistant_1h: 'other',
    });
    expect(listed.find((b) => b.name === 'homeassistant')?.retentionDays).toBe(30);
    const old = await db.query(
      operatorToken,
      'from(bucket: "homeassistant") |> range(start: -7d) |> filter(fn: (r) => r.entity_id == "sensor.a")',
    );
    expect(old.rows.map((r) => r['_value'])).toEqual(['1', '2', '3']);
    // A retention changed on the old bucket has no option to go to.
    const p = await call(`${MANAGER}/api/buckets/homeassistant`, IP.admin, {
      method: 'PATCH',
      body: { retentionDays: 31 },
    });
    expect(p.json()).toMatchObject({ retentionDays: 31, option: null });
    // The downsampling tasks read the new bucket and write its _5m/_1h, and do so when run.
    const tasks = (await call(`${INFLUX}/api/v2/tasks`, IP.admin, { token: operatorToken })).json().tasks as {
      id: string;
      name: string;
      flux: string;
    }[];
    const homeiqTasks = tasks.filter((t) => t.name.startsWith('homeiq-downsample-'));
    expect(homeiqTasks).toHaveLength(2);
    for (const t of homeiqTasks) {
      expect(t.flux).toContain('from(bucket: "homeiq")');
      expect(t.flux).toMatch(/to\(bucket: "homeiq_(5m|1h)"/);
      expect(t.flux).not.toMatch(/bucket: "homeassistant/);
    }
    const now = Math.floor(Date.now() / 1000);
    expect(
      await db.write(
        ingestor.token,
        'homeiq',
        `sensor,entity_id=sensor.n value=7 ${Math.floor(now / 300) * 300 - 200}`,
      ),
    ).toBe(204);
    const t5 = homeiqTasks.find((t) => t.name === 'homeiq-downsample-5m') as { id: string };
    const r = await call(`${MANAGER}/api/tasks/${t5.id}/run?wait=1`, IP.admin, { method: 'POST' });
    expect(r.json().status, r.text).toBe('success');
    const ds = await db.query(
      admin.token,
      'from(bucket: "homeiq_5m") |> range(start: -1d) |> filter(fn: (r) => r.entity_id == "sensor.n" and r._field == "count")',
    );
    expect(ds.rows.map((x) => x['_value'])).toEqual(['1']);
    expect((await run.terminate()).code).toBe(0);
  }, 90_000);

  it('never prints a secret', () => {
    expect(db.secrets.size).toBeGreaterThanOrEqual(5);
    db.expectNoSecretPrinted();
  });
});
