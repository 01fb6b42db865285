/**
 * homeiq-influxdb end to end: the real bundle, a real influxd 2.9, the Supervisor emulator. The steps
 * share one installation and run in order, like a user's add-on over its life.
 */
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFluxCsv } from '@homeiq/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  startSupervisorEmulator,
  type RegisteredAddon,
  type SupervisorEmulator,
} from '../../../dev/supervisor/index.js';
import { AddonRun, call, childPids, CONFIG, prepare, writeOptions } from '../../harness/influxdb-addon.js';
import { until } from '../../../dev/until.js';

// This file's own loopback addresses (other test files use other ones).
const IP = {
  influxdb: '127.0.31.1',
  ingestor: '127.0.31.2',
  admin: '127.0.31.3',
  stranger: '127.0.31.4',
  unregistered: '127.0.31.9',
};
const MANAGER = `http://${IP.influxdb}:8326`;
const INFLUX = `http://${IP.influxdb}:8086`;
/** Three days ago: inside every retention the test sets. */
const T0 = Math.floor(Date.now() / 1000) - 3 * 86_400;
const OPTIONS = {
  log_level: 'info',
  org: 'homeassistant',
  bucket: 'homeassistant',
  retention_days: 365,
  retention_5m_days: 730,
  retention_1h_days: 0,
  memory_profile: 'small',
};

let influxd: string;
let emulator: SupervisorEmulator;
let self: RegisteredAddon;
let tmp: string;
let dataDir: string;
const runs: AddonRun[] = [];
const secrets = new Set<string>();
const measured: Record<string, number> = {};
let operatorToken: string;

function start(dir = dataDir): AddonRun {
  const run = new AddonRun({ ...self.env(), HOMEIQ_DATA_DIR: dir, HOMEIQ_INFLUXD_BIN: influxd });
  runs.push(run);
  return run;
}

/** Waits for a 200 /health with influxd and setup green; returns the ms since the process started. */
async function healthy(run: AddonRun, timeoutMs = 60_000): Promise<number> {
  // An exit ends the wait at once, with the add-on's output.
  const exited = run.exited.then(() => {
    throw new Error(`exited ${run.child.exitCode}:\n${run.output()}`);
  });
  exited.catch(() => undefined);
  await Promise.race([
    exited,
    until(
      'homeiq-influxdb healthy',
      async () => {
        if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}:\n${run.output()}`);
        const r = await call(`${MANAGER}/health`, IP.unregistered);
        return r.status === 200 && r.json().checks.some((c: { name: string }) => c.name === 'setup') ? true : undefined;
      },
      { ms: timeoutMs, everyMs: 50 },
    ),
  ]);
  return Date.now() - run.startedAt;
}

async function token(from: string): Promise<{
  token: string;
  org: string;
  orgId: string;
  bucket: string;
  buckets: { raw: string; downsampled: string[] };
}> {
  const r = await call(`${MANAGER}/api/tokens`, from, { method: 'POST' });
  expect(r.status, r.text).toBe(200);
  const body = r.json();
  secrets.add(body.token);
  return body;
}

async function write(tok: string, bucket: string, lines: string): Promise<number> {
  return (
    await call(`${INFLUX}/api/v2/write?org=homeassistant&bucket=${bucket}&precision=s`, IP.ingestor, {
      method: 'POST',
      token: tok,
      body: lines,
      headers: { 'Content-Type': 'text/plain' },
    })
  ).status;
}

/** The add-on's options as the emulator (the Supervisor) holds them; `set` changes them like the Configuration tab. */
async function supervisorOptions(set?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const headers = { Authorization: `Bearer ${self.token}` };
  if (set) {
    const w = await call(`${emulator.url}/addons/self/options`, IP.influxdb, {
      method: 'POST',
      headers,
      body: { options: set },
    });
    expect(w.status, w.text).toBe(200);
  }
  const r = await call(`${emulator.url}/addons/self/options/config`, IP.influxdb, { headers });
  expect(r.status, r.text).toBe(200);
  return r.json().data;
}

/** What the Supervisor does at an add-on start: write the options it holds to `/data/options.json`. */
async function startFromSupervisorOptions(dir = dataDir): Promise<AddonRun> {
  await writeOptions(dir, await supervisorOptions());
  return start(dir);
}

async function query(
  tok: string,
  flux: string,
): Promise<{ status: number; rows: Record<string, string>[]; text: string }> {
  const r = await call(`${INFLUX}/api/v2/query?org=homeassistant`, IP.admin, {
    method: 'POST',
    token: tok,
    body: flux,
    headers: { 'Content-Type': 'application/vnd.flux' },
  });
  return { status: r.status, rows: r.status === 200 ? parseFluxCsv(r.text) : [], text: r.text };
}

beforeAll(async () => {
  influxd = await prepare();
  tmp = await mkdtemp(join(tmpdir(), 'homeiq-influxdb-e2e-'));
  dataDir = join(tmp, 'data');
  emulator = await startSupervisorEmulator({});
  self = emulator.registerAddon({ configPath: CONFIG, ip: IP.influxdb });
  const cfg = async (slug: string): Promise<string> => {
    const p = join(tmp, `${slug}.yaml`);
    await writeFile(p, stringify({ name: slug, version: '0.1.0', slug, description: 'test', arch: ['amd64'] }));
    return p;
  };
  emulator.registerAddon({ configPath: await cfg('homeiq-ingestor'), ip: IP.ingestor });
  emulator.registerAddon({ configPath: await cfg('homeiq-admin'), ip: IP.admin });
  emulator.registerAddon({ configPath: await cfg('some-other-addon'), ip: IP.stranger });
  secrets.add(self.token);
  await writeOptions(dataDir, OPTIONS);
}, 600_000);

afterAll(async () => {
  for (const r of runs) await r.dispose();
  await emulator?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
  console.log(`homeiq-influxdb measurements: ${JSON.stringify(measured)}`);
});

describe('homeiq-influxdb with a real influxd', () => {
  let run: AddonRun;
  let ingestor: Awaited<ReturnType<typeof token>>;
  let admin: Awaited<ReturnType<typeof token>>;

  it('onboards itself on a fresh start, with operator credentials only in the data dir (0600)', async () => {
    run = start();
    measured['firstStartToHealthyMs'] = await healthy(run);
    const onboard = /onboarded InfluxDB in (\d+) ms/.exec(run.output());
    expect(onboard, run.output()).not.toBeNull();
    measured['setupCallMs'] = Number(onboard?.[1]);
    const file = join(dataDir, 'homeiq', 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(await readFile(file, 'utf8'));
    secrets.add(creds.password);
    secrets.add(creds.operatorToken);
    operatorToken = creds.operatorToken;
    expect((await stat(join(dataDir, 'influxdb2', 'influxd.bolt'))).isFile()).toBe(true);
    const setup = await call(`${INFLUX}/api/v2/setup`, IP.admin);
    expect(setup.json()).toEqual({ allowed: false });
    const health = (await call(`${MANAGER}/health`, IP.admin)).json();
    expect(health.checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual(
      expect.arrayContaining(['influxd:green', 'setup:green', 'tasks:green']),
    );
  }, 90_000);

  it('hands siblings scoped tokens and refuses everyone else', async () => {
    ingestor = await token(IP.ingestor);
    expect(ingestor).toMatchObject({
      sibling: 'homeiq-ingestor',
      org: 'homeassistant',
      bucket: 'homeassistant',
      port: 8086,
      influxdbVersion: '2.9.1',
      buckets: { raw: 'homeassistant', downsampled: ['homeassistant_5m', 'homeassistant_1h'] },
    });
    admin = await token(IP.admin);
    expect(admin).toMatchObject({ sibling: 'homeiq-admin' });
    expect((await call(`${MANAGER}/api/tokens`, IP.stranger, { method: 'POST' })).status).toBe(403);
    expect((await call(`${MANAGER}/api/tokens`, IP.unregistered, { method: 'POST' })).status).toBe(403);
    expect(await write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.a value=1 ${T0}`)).toBe(204);
    const q = await query(
      ingestor.token,
      'from(bucket: "homeassistant") |> range(start: -7d) |> filter(fn: (r) => r.entity_id == "sensor.a")',
    );
    expect(q.rows.map((r) => r['_value'])).toEqual(['1']);
  });

  it('gives the ingestor no access to other buckets, and rotates its token when it asks again', async () => {
    expect(await write(ingestor.token, 'homeassistant_5m', `sensor,entity_id=sensor.a value=1 ${T0}`)).not.toBe(204);
    const q = await query(ingestor.token, 'from(bucket: "homeassistant_5m") |> range(start: -1y)');
    expect(q.status === 200 ? q.text : 'refused').not.toMatch(/_result/);
    expect(q.status === 200 ? q.text : 'error: not found').toMatch(/not found|error/);
    expect(await write(admin.token, 'homeassistant', `sensor,entity_id=sensor.a value=1 ${T0}`)).toBe(403);
    const bucketCreate = await call(`${INFLUX}/api/v2/buckets`, IP.ingestor, {
      method: 'POST',
      token: ingestor.token,
      body: { orgID: ingestor.orgId, name: 'evil' },
    });
    // InfluxDB answers a missing permission on this route with 401 and names the permission.
    expect(bucketCreate.status, bucketCreate.text).toBe(401);
    expect(bucketCreate.text).toMatch(/write:orgs\/\w+\/buckets is unauthorized/);
    const old = ingestor.token;
    ingestor = await token(IP.ingestor);
    expect(ingestor.token).not.toBe(old);
    expect(await write(old, 'homeassistant', `sensor,entity_id=sensor.a value=2 ${T0 + 1}`)).toBe(401);
    expect(await write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.a value=2 ${T0 + 1}`)).toBe(204);
  });

  it('creates a read-only Grafana token for the admin panel only, and revokes the previous one', async () => {
    const grafana = async () => {
      const r = await call(`${MANAGER}/api/grafana-token`, IP.admin, { method: 'POST' });
      expect(r.status, r.text).toBe(200);
      expect(r.headers['cache-control']).toBe('no-store');
      secrets.add(r.json().token);
      return r.json();
    };
    for (const from of [IP.ingestor, IP.stranger, IP.unregistered]) {
      expect((await call(`${MANAGER}/api/grafana-token`, from, { method: 'POST' })).status).toBe(403);
    }
    const first = await grafana();
    expect(first).toMatchObject({
      org: 'homeassistant',
      buckets: { raw: 'homeassistant', downsampled: ['homeassistant_5m', 'homeassistant_1h'] },
      // 8086/tcp is not published in config.yaml, so there is no URL to suggest yet.
      url_hint: null,
      published_port: null,
      name: expect.stringMatching(/^HomeIQ Grafana \(created \d{4}-\d\d-\d\dT[\d:.]+Z\)$/),
    });
    const q = await query(
      first.token,
      'from(bucket: "homeassistant") |> range(start: -7d) |> filter(fn: (r) => r.entity_id == "sensor.a")',
    );
    expect(q.status, q.text).toBe(200);
    expect(q.rows.map((r) => r['_value'])).toEqual(['1', '2']);
    for (const b of ['homeassistant_5m', 'homeassistant_1h'])
      expect((await query(first.token, `from(bucket: "${b}") |> range(start: -1d)`)).status).toBe(200);
    expect(await write(first.token, 'homeassistant', `sensor,entity_id=sensor.g value=1 ${T0}`)).toBe(403);
    const second = await grafana();
    expect(second.token).not.toBe(first.token);
    expect((await query(first.token, 'from(bucket: "homeassistant") |> range(start: -7d)')).status).toBe(401);
    expect(
      (
        await query(
          second.token,
          'from(bucket: "homeassistant") |> range(start: -7d) |> filter(fn: (r) => r.entity_id == "sensor.a")',
        )
      ).rows,
    ).toHaveLength(2);
    const auths = (await call(`${INFLUX}/api/v2/authorizations`, IP.admin, { token: operatorToken })).json()
      .authorizations as { description: string; permissions: { action: string }[] }[];
    const mine = auths.filter((a) => a.description?.startsWith('HomeIQ Grafana'));
    expect(mine.map((a) => a.description)).toEqual([second.name]);
    expect(mine[0]?.permissions.every((p) => p.action === 'read')).toBe(true);
  });

  it('writes downsampled mean/min/max/count after a task run', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t5 = Math.floor(now / 300) * 300 - 240; // inside the last complete 5-minute window
    const t1h = Math.floor(now / 3600) * 3600 - 1800; // inside the last complete hour
    expect(
      await write(
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
      measured[`${t.name}Ms`] = r.json().durationMs;
    }
    const fields = async (bucket: string, entity: string) => {
      const q = await query(
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
    expect(await supervisorOptions()).toEqual({ ...OPTIONS, retention_5m_days: 100 });
    expect(run.output()).toMatch(
      /retention of homeassistant_5m set to 100 days through the manager API; saved as option retention_5m_days/,
    );
  });

  it('stops on SIGTERM with exit 0, and a restart keeps data and tokens and applies a retention change', async () => {
    const stopped = await run.terminate();
    expect(stopped.code).toBe(0);
    // influxd must have closed its databases itself (SIGINT), not died on a signal.
    expect(run.output()).toContain('influxd stopped (exit code 0)');
    expect(stopped.ms).toBeLessThan(110_000);
    measured['sigtermStopMs'] = stopped.ms;
    // The user changes another retention in the Configuration tab; the Supervisor writes what it holds.
    await supervisorOptions({ ...(await supervisorOptions()), retention_days: 30 });
    run = await startFromSupervisorOptions();
    measured['restartToHealthyMs'] = await healthy(run);
    const retention = async (name: string) =>
      (await call(`${INFLUX}/api/v2/buckets?name=${name}`, IP.admin, { token: admin.token })).json().buckets[0]
        .retentionRules[0].everySeconds;
    expect(await retention('homeassistant_5m')).toBe(100 * 86400);
    const q = await query(
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
    measured['crashToHealthyMs'] = Date.now() - killedAt;
    expect(green).toMatch(/restarted 1 time\(s\) after a crash, last: killed by SIGKILL/);
    expect(run.output()).toMatch(/influxd stopped unexpectedly \(killed by SIGKILL\)/);
    expect(await write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.a value=3 ${T0 + 2}`)).toBe(204);
  }, 60_000);

  it('survives a cold backup and restore into a fresh data dir', async () => {
    expect((await run.terminate()).code).toBe(0);
    const restored = join(tmp, 'restored');
    await cp(dataDir, restored, { recursive: true });
    await rm(dataDir, { recursive: true, force: true });
    dataDir = restored;
    run = await startFromSupervisorOptions();
    await healthy(run);
    const q = await query(
      ingestor.token,
      'from(bucket: "homeassistant") |> range(start: -7d) |> filter(fn: (r) => r.entity_id == "sensor.a")',
    );
    expect(q.rows.map((r) => r['_value'])).toEqual(['1', '2', '3']);
    const ds = await query(
      admin.token,
      'from(bucket: "homeassistant_5m") |> range(start: -1d) |> filter(fn: (r) => r._field == "count")',
    );
    expect(ds.rows.length).toBeGreaterThan(0);
    expect((await run.terminate()).code).toBe(0);
  }, 90_000);

  it('moves to a new bucket when the bucket option changes, and leaves the old bucket and its data alone', async () => {
    await supervisorOptions({ ...(await supervisorOptions()), bucket: 'homeiq' });
    run = await startFromSupervisorOptions();
    await healthy(run);
    expect(run.output()).toMatch(/raw bucket changed to homeiq; revoked 2 sibling token\(s\)/);
    // The siblings' old tokens are revoked; asking again gives tokens for the new bucket.
    expect(await write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.a value=4 ${T0 + 3}`)).toBe(401);
    expect((await query(admin.token, 'from(bucket: "homeassistant") |> range(start: -7d)')).status).toBe(401);
    ingestor = await token(IP.ingestor);
    admin = await token(IP.admin);
    expect(ingestor).toMatchObject({
      bucket: 'homeiq',
      buckets: { raw: 'homeiq', downsampled: ['homeiq_5m', 'homeiq_1h'] },
    });
    expect(await write(ingestor.token, 'homeiq', `sensor,entity_id=sensor.n value=5 ${T0}`)).toBe(204);
    expect(await write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.n value=5 ${T0}`)).not.toBe(204);
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
    const old = await query(
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
      await write(ingestor.token, 'homeiq', `sensor,entity_id=sensor.n value=7 ${Math.floor(now / 300) * 300 - 200}`),
    ).toBe(204);
    const t5 = homeiqTasks.find((t) => t.name === 'homeiq-downsample-5m') as { id: string };
    const r = await call(`${MANAGER}/api/tasks/${t5.id}/run?wait=1`, IP.admin, { method: 'POST' });
    expect(r.json().status, r.text).toBe('success');
    const ds = await query(
      admin.token,
      'from(bucket: "homeiq_5m") |> range(start: -1d) |> filter(fn: (r) => r.entity_id == "sensor.n" and r._field == "count")',
    );
    expect(ds.rows.map((x) => x['_value'])).toEqual(['1']);
    expect((await run.terminate()).code).toBe(0);
  }, 90_000);

  it('refuses bad options with one line and a non-zero exit', async () => {
    const bad = join(tmp, 'bad');
    await writeOptions(bad, { ...OPTIONS, bucket: '_internal', retention_days: -3 });
    const r = start(bad);
    const { code } = await r.exited;
    expect(code).toBe(2);
    expect(r.lines, r.output()).toHaveLength(1);
    expect(r.lines[0]).toMatch(/FATAL.*'bucket' must be .*'retention_days' must be 0 \(forever\) or more days/);
  }, 30_000);

  it('never prints a secret', () => {
    expect(secrets.size).toBeGreaterThanOrEqual(5);
    const all = runs.map((r) => r.output()).join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const s of secrets) expect(all.includes(s), 'a secret reached the log').toBe(false);
  });
});
