/**
 * homeiq-influxdb end to end, its first start: onboarding, the scoped tokens it hands the siblings (and nobody
 * else), the Grafana token, and bad options. The real bundle, a real influxd, the Supervisor emulator; the steps
 * share one installation and run in order. The later life of an installation is in addon-lifecycle.test.ts, the
 * downsampling and buckets in addon-downsampling.test.ts.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, writeOptions, type AddonRun } from '../../harness/influxdb-addon.js';
import { endpointsOf, InfluxdbInstall, OPTIONS, T0, type SiblingToken } from '../../harness/influxdb-install.js';

// This file's own loopback addresses (other test files use other ones).
const BLOCK = '127.0.31';
const { IP, MANAGER, INFLUX } = endpointsOf(BLOCK);

let db: InfluxdbInstall;

beforeAll(async () => {
  db = await InfluxdbInstall.create(BLOCK);
}, 600_000);

afterAll(() => db?.dispose());

describe('homeiq-influxdb with a real influxd', () => {
  let run: AddonRun;
  let ingestor: SiblingToken;
  let admin: SiblingToken;
  let operatorToken: string;

  it('onboards itself on a fresh start, with operator credentials only in the data dir (0600)', async () => {
    run = db.start();
    db.measured['firstStartToHealthyMs'] = await db.healthy(run);
    const onboard = /onboarded InfluxDB in (\d+) ms/.exec(run.output());
    expect(onboard, run.output()).not.toBeNull();
    db.measured['setupCallMs'] = Number(onboard?.[1]);
    const file = join(db.dataDir, 'homeiq', 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(await readFile(file, 'utf8'));
    db.secrets.add(creds.password);
    db.secrets.add(creds.operatorToken);
    operatorToken = creds.operatorToken;
    expect((await stat(join(db.dataDir, 'influxdb2', 'influxd.bolt'))).isFile()).toBe(true);
    const setup = await call(`${INFLUX}/api/v2/setup`, IP.admin);
    expect(setup.json()).toEqual({ allowed: false });
    const health = (await call(`${MANAGER}/health`, IP.admin)).json();
    expect(health.checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual(
      expect.arrayContaining(['influxd:green', 'setup:green', 'tasks:green']),
    );
  }, 90_000);

  it('hands siblings scoped tokens and refuses everyone else', async () => {
    ingestor = await db.token(IP.ingestor);
    expect(ingestor).toMatchObject({
      sibling: 'homeiq-ingestor',
      org: 'homeassistant',
      bucket: 'homeassistant',
      port: 8086,
      influxdbVersion: '2.9.1',
      buckets: { raw: 'homeassistant', downsampled: ['homeassistant_5m', 'homeassistant_1h'] },
    });
    admin = await db.token(IP.admin);
    expect(admin).toMatchObject({ sibling: 'homeiq-admin' });
    expect((await call(`${MANAGER}/api/tokens`, IP.stranger, { method: 'POST' })).status).toBe(403);
    expect((await call(`${MANAGER}/api/tokens`, IP.unregistered, { method: 'POST' })).status).toBe(403);
    expect(await db.write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.a value=1 ${T0}`)).toBe(204);
    const q = await db.query(
      ingestor.token,
      'from(bucket: "homeassistant") |> range(start: -7d) |> filter(fn: (r) => r.entity_id == "sensor.a")',
    );
    expect(q.rows.map((r) => r['_value'])).toEqual(['1']);
  });

  it('gives the ingestor no access to other buckets, and rotates its token when it asks again', async () => {
    expect(await db.write(ingestor.token, 'homeassistant_5m', `sensor,entity_id=sensor.a value=1 ${T0}`)).not.toBe(204);
    const q = await db.query(ingestor.token, 'from(bucket: "homeassistant_5m") |> range(start: -1y)');
    expect(q.status === 200 ? q.text : 'refused').not.toMatch(/_result/);
    expect(q.status === 200 ? q.text : 'error: not found').toMatch(/not found|error/);
    expect(await db.write(admin.token, 'homeassistant', `sensor,entity_id=sensor.a value=1 ${T0}`)).toBe(403);
    const bucketCreate = await call(`${INFLUX}/api/v2/buckets`, IP.ingestor, {
      method: 'POST',
      token: ingestor.token,
      body: { orgID: ingestor.orgId, name: 'evil' },
    });
    // InfluxDB answers a missing permission on this route with 401 and names the permission.
    expect(bucketCreate.status, bucketCreate.text).toBe(401);
    expect(bucketCreate.text).toMatch(/write:orgs\/\w+\/buckets is unauthorized/);
    const old = ingestor.token;
    ingestor = await db.token(IP.ingestor);
    expect(ingestor.token).not.toBe(old);
    expect(await db.write(old, 'homeassistant', `sensor,entity_id=sensor.a value=2 ${T0 + 1}`)).toBe(401);
    expect(await db.write(ingestor.token, 'homeassistant', `sensor,entity_id=sensor.a value=2 ${T0 + 1}`)).toBe(204);
  });

  it('creates a read-only Grafana token for the admin panel only, and revokes the previous one', async () => {
    const grafana = async () => {
      const r = await call(`${MANAGER}/api/grafana-token`, IP.admin, { method: 'POST' });
      expect(r.status, r.text).toBe(200);
      expect(r.headers['cache-control']).toBe('no-store');
      db.secrets.add(r.json().token);
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
    const q = await db.query(
      first.token,
      'from(bucket: "homeassistant") |> range(start: -7d) |> filter(fn: (r) => r.entity_id == "sensor.a")',
    );
    expect(q.status, q.text).toBe(200);
    expect(q.rows.map((r) => r['_value'])).toEqual(['1', '2']);
    for (const b of ['homeassistant_5m', 'homeassistant_1h'])
      expect((await db.query(first.token, `from(bucket: "${b}") |> range(start: -1d)`)).status).toBe(200);
    expect(await db.write(first.token, 'homeassistant', `sensor,entity_id=sensor.g value=1 ${T0}`)).toBe(403);
    const second = await grafana();
    expect(second.token).not.toBe(first.token);
    expect((await db.query(first.token, 'from(bucket: "homeassistant") |> range(start: -7d)')).status).toBe(401);
    expect(
      (
        await db.query(
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

  it('refuses bad options with one line and a non-zero exit', async () => {
    const bad = join(db.tmp, 'bad');
    await writeOptions(bad, { ...OPTIONS, bucket: '_internal', retention_days: -3 });
    const r = db.start(bad);
    const { code } = await r.exited;
    expect(code).toBe(2);
    expect(r.lines, r.output()).toHaveLength(1);
    expect(r.lines[0]).toMatch(/FATAL.*'bucket' must be .*'retention_days' must be 0 \(forever\) or more days/);
  }, 30_000);

  it('never prints a secret', () => {
    expect(db.secrets.size).toBeGreaterThanOrEqual(5);
    db.expectNoSecretPrinted();
  });
});
