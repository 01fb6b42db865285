/**
 * The migration's bad input, each against the real peers (InfluxDB 1.6.7 from Debian with authentication, influxd
 * 2.x) and the built ingestor bundle: an unreachable source, wrong credentials, a database that is not HA's
 * schema, points of mixed field types, a measurement with thousands of series, a source that disappears in the
 * middle. Each gives one clear sentence in the API answer (what the panel shows) and in the ingestor's log;
 * nothing is half-written without the record of where it stopped, and a resume continues from there.
 *
 * The points here are written in HA's schema by HomeIQ's `ha_compatible` encoder (the same lines HA's integration
 * writes, tested against it): the conditions they create (mixed types across shards, 3,000 series) are not ones
 * a test can make a real HA produce. The equality with data a real HA wrote is migration-real-ha.test.ts.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHaCompatible } from '../../../homeiq-ingestor/src/points/ha-compatible.js';
import type { HaState } from '../../../homeiq-ingestor/src/points/state-model.js';
import { createEmptyHome, startHaSimulator, type HaSimulator } from '../../../dev/ha-sim/index.js';
import { buildBundles, REPO_ROOT, type AddonProcess } from '../../../dev/addon-process.js';
import { freePort } from '../../../dev/peers/process.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { startInfluxdb1, type RealInfluxdb1 } from '../../../dev/peers/influxdb1.js';
import {
  startSupervisorEmulator,
  type RegisteredAddon,
  type SupervisorEmulator,
} from '../../../dev/supervisor/index.js';
import {
  createBucket,
  expectMigrated,
  MigrationApi,
  startIngestorInto,
  v1Points,
  v2Points,
} from '../../harness/migration.js';

const IP = '127.0.0.111';
const ADMIN_IP = '127.0.0.113';
const READER = { username: 'reader', password: 'reader-password' };
const HA_OPTS = { maxStringLength: 16_384, excludeAttributes: new Set<string>(), layout: 'ha_compatible' as const };
const WEEK_MS = 7 * 86_400_000;

let v1: RealInfluxdb1;
let source2: RealInfluxd;
let source2Setup: InfluxSetup;
let target: RealInfluxd;
let targetSetup: InfluxSetup;
let core: HaSimulator;
let supervisor: SupervisorEmulator;
let addon: RegisteredAddon;
let proc: AddonProcess | undefined;
const dataDirs: string[] = [];
const api = new MigrationApi(IP, ADMIN_IP);

const v1Source = (database: string, user = READER): Record<string, string> => ({
  kind: 'influxdb1',
  url: v1.url,
  database,
  username: user.username,
  password: user.password,
});

/** HA's lines for `states` (as its integration writes them). */
function haLines(states: HaState[]): string {
  return states.map((s) => encodeHaCompatible(s, s.last_updated, HA_OPTS).line as string).join('\n');
}
const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '000+00:00');
const sensor = (id: string, state: string, ms: number, attrs: Record<string, unknown> = {}): HaState => ({
  entity_id: id,
  state,
  attributes: { unit_of_measurement: 'W', friendly_name: id, ...attrs },
  last_updated: iso(ms),
});

async function startIngestor(bucket: string): Promise<void> {
  await createBucket(target, targetSetup, bucket);
  proc = await startIngestorInto({ addon, influx: target, setup: targetSetup, bucket });
  dataDirs.push(proc.dataDir);
}

beforeAll(async () => {
  [, v1, source2, target] = await Promise.all([
    buildBundles('ingestor'),
    startInfluxdb1({ release: 'debian' }),
    startInfluxd(),
    startInfluxd(),
  ]);
  source2Setup = await source2.setup({ org: 'home', bucket: 'home_assistant' });
  targetSetup = await target.setup();
  for (const db of ['home_assistant', 'telegraf', 'many']) await v1.createDatabase(db);
  await v1.createUser(
    READER,
    ['home_assistant', 'telegraf', 'many'].map((db) => ({ privilege: 'READ', db })),
  );
  core = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
  supervisor = await startSupervisorEmulator({ core: { url: core.url, token: core.token } });
  addon = supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'), ip: IP });
  supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: ADMIN_IP });
  await startIngestor('homeiq');
}, 600_000);

afterAll(async () => {
  await proc?.stop('SIGTERM');
  await supervisor?.stop();
  await core?.stop();
  await Promise.all([v1?.dispose(), source2?.dispose(), target?.dispose()]);
  for (const d of dataDirs) await rm(d, { recursive: true, force: true });
});

/** The last log line of the ingestor that matches. */
const logged = (re: RegExp): string | undefined => proc?.lines.filter((l) => re.test(l)).at(-1);

describe('migration: bad input gives one clear message, in the answer and in the log', () => {
  it('an unreachable source', async () => {
    const port = await freePort();
    const r = await api.probe({ kind: 'influxdb1', url: `http://127.0.0.1:${port}`, database: 'home_assistant' });
    expect(r.status).toBe(422);
    expect(r.body.error).toBe(
      `cannot reach http://127.0.0.1:${port}: connection refused: nothing listens on that address and port`,
    );
    expect(logged(/checking the migration source failed/)).toContain(r.body.error);
    const s = await api.start({
      source: { kind: 'influxdb2', url: `http://127.0.0.1:${port}`, org: 'o', bucket: 'b', token: 't' },
    });
    expect(s.status).toBe(422);
    expect(logged(/the migration did not start/)).toContain('connection refused');
    expect((await api.status()).state).toBe('off');
  });

  it('wrong credentials, a missing database or bucket', async () => {
    const wrong = await api.probe(v1Source('home_assistant', { username: 'reader', password: 'not-it' }));
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toBe("the source InfluxDB refused user 'reader' (401: authorization failed)");
    const none = await api.probe({ kind: 'influxdb1', url: v1.url, database: 'home_assistant' });
    expect(none.body.error).toMatch(/^the source InfluxDB refused access without a user name \(401: /);
    const db = await api.probe(v1Source('home_asisstant'));
    expect(db.body.error).toBe(
      "database 'home_asisstant' does not exist on the source or user 'reader' may not read it (it has: home_assistant, telegraf, many)",
    );
    const token = await api.probe({
      kind: 'influxdb2',
      url: source2.url,
      org: source2Setup.org,
      bucket: source2Setup.bucket,
      token: 'nope',
    });
    expect(token.body.error).toBe('the source InfluxDB refused the token (401: unauthorized access)');
    const bucket = await api.probe({
      kind: 'influxdb2',
      url: source2.url,
      org: source2Setup.org,
      bucket: 'nope',
      token: source2Setup.token,
    });
    expect(bucket.body.error).toBe(
      `bucket 'nope' not found in organization '${source2Setup.org}' (or the token may not read it)`,
    );
    const kind = await api.probe({ kind: 'influxdb2', url: v1.url, org: 'o', bucket: 'b', token: 't' });
    expect(kind.body.error).toMatch(/is InfluxDB 1\.6\.7.*: choose InfluxDB 1\.x and give its database$/);
    expect(logged(/checking the migration source failed/)).toContain('choose InfluxDB 1.x');
  });

  it("a database that is not HA's schema; foreign measurements beside HA's are left out and named", async () => {
    await v1.write(
      'telegraf',
      'cpu,host=nas usage_idle=98.5 1767225600000000000\nmem,host=nas used=1i 1767225600000000000',
    );
    const r = await api.probe(v1Source('telegraf'));
    expect(r.status).toBe(422);
    expect(r.body.error).toBe(
      "the source holds no data written by Home Assistant's influxdb integration: no measurement has the tags domain and entity_id (measurements found: cpu, mem)",
    );
    await v1.write('home_assistant', 'cpu,host=nas usage_idle=97 1767225600000000000');
    await v1.write('home_assistant', haLines([sensor('sensor.plug', '12.5', Date.parse('2026-01-01T00:00:00Z'))]));
    const mixed = await api.probe(v1Source('home_assistant'));
    expect(mixed.status).toBe(200);
    expect(mixed.body.foreign).toEqual([{ measurement: 'cpu', series: 1 }]);
  });

  it('points of mixed field types: every value read in its own type, none lost', async () => {
    // One series, one shard group per type: `value` as a float, then as text (another writer), then an integer.
    const t0 = Date.parse('2026-02-02T12:00:00Z');
    await v1.write(
      'home_assistant',
      [
        haLines([sensor('sensor.meter', '5.5', t0, { reading: 3 })]),
        `W,domain=sensor,entity_id=meter value="n/a",reading="3 kWh" ${(t0 + WEEK_MS) * 1e6}`,
        `W,domain=sensor,entity_id=meter value=7i,reading=4i ${(t0 + 2 * WEEK_MS) * 1e6}`,
      ].join('\n'),
    );
    const probe = await api.probe(v1Source('home_assistant'));
    expect(probe.body.mixedTypes).toEqual(
      expect.arrayContaining([{ measurement: 'W', field: 'value', types: ['float', 'integer', 'string'] }]),
    );
    await startFresh('mixed');
    expect((await api.start({ source: v1Source('home_assistant'), entities: ['sensor.meter'] })).status).toBe(202);
    const done = await api.until(proc);
    expect(done.counts).toMatchObject({ read: 3, written: 3, unmapped: 0 });
    expect(done.notes.find((n) => n.kind === 'unexpected_type')?.count).toBe(2);
    const got = await v2Points({ ...target, ...targetSetup }, currentBucket, 'homeiq');
    expect([...got.values()].map((p) => p.state)).toEqual(['5.5', 'n/a', '7']);
  });

  it('a measurement with thousands of series: listed, migrated, reported per entity', async () => {
    const n = 3000;
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    const states: HaState[] = [];
    for (let i = 0; i < n; i += 1)
      for (let k = 0; k < 4; k += 1) states.push(sensor(`sensor.plug_${i}`, String(i + k / 10), t0 + k * 60_000 + i));
    for (let i = 0; i < states.length; i += 5000) await v1.write('many', haLines(states.slice(i, i + 5000)));
    const probe = await api.probe(v1Source('many'));
    expect(probe.body.entities).toHaveLength(n);
    expect(probe.body.entities.every((e) => e.measurements.join() === 'W')).toBe(true);
    await startFresh('many');
    expect((await api.start({ source: v1Source('many') })).status).toBe(202);
    const done = await api.until(proc);
    expect(done.reportTotal).toBe(n);
    expect(done.counts).toMatchObject({ read: 4 * n, written: 4 * n });
    expectMigrated(await v1Points(v1, 'many'), await v2Points({ ...target, ...targetSetup }, currentBucket, 'homeiq'));
  });

  it('a source that disappears in the middle: retried, then stopped with where it got to; a resume finishes it', async () => {
    const t0 = Date.parse('2026-04-01T00:00:00Z');
    const states: HaState[] = [];
    for (let i = 0; i < 1500; i += 1) states.push(sensor(`sensor.power_${i % 10}`, String(i), t0 + i * 1000));
    await fetch(`${source2.url}/api/v2/write?org=${source2Setup.org}&bucket=${source2Setup.bucket}&precision=ns`, {
      method: 'POST',
      headers: { Authorization: `Token ${source2Setup.token}` },
      body: haLines(states),
    });
    const source = {
      kind: 'influxdb2',
      url: source2.url,
      org: source2Setup.org,
      bucket: source2Setup.bucket,
      token: source2Setup.token,
    };
    await startFresh('gone');
    expect((await api.start({ source, maxPointsPerSecond: 100 })).status).toBe(202);
    await api.until(proc, (s) => s.progress > 0.2, 60_000);
    await source2.kill();
    const waiting = await api.until(
      proc,
      (s) => s.state === 'waiting' && /the source to answer again/.test(s.waitingFor ?? ''),
      30_000,
    );
    expect(waiting.waitingFor).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused/);
    // 1 + 2 + 4 + 8 + 16 + 30 s of retries, then it stops.
    const failed = await api.until(proc, (s) => s.state === 'failed', 120_000);
    expect(failed.lastError).toMatch(
      /^cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused: nothing listens on that address and port; everything before \S+ is written, and a resume continues from there$/,
    );
    expect(logged(/ERROR .*migration stopped: /)).toContain(failed.lastError);
    expect(failed.progress).toBeGreaterThan(0.2);
    expect(failed.progress).toBeLessThan(1);
    // Everything before the position it names is in InfluxDB.
    const reachedNs = BigInt(Date.parse(failed.reached as string)) * 1_000_000n;
    const migrated = await v2Points({ ...target, ...targetSetup }, currentBucket, 'homeiq');
    const before = states.filter((s) => BigInt(Date.parse(s.last_updated)) * 1_000_000n < reachedNs).length;
    expect([...migrated.keys()].filter((k) => BigInt(k.split('@')[1] as string) < reachedNs)).toHaveLength(before);
    await source2.start();
    const resumed = await api.call<{ state: string }>('POST', '/api/migration/resume', {});
    expect(resumed.status).toBe(202);
    await api.until(proc, (s) => s.state === 'done', 60_000);
    expectMigrated(
      await v2Points({ url: source2.url, org: source2Setup.org, token: source2Setup.token }, source2Setup.bucket, 'ha'),
      await v2Points({ ...target, ...targetSetup }, currentBucket, 'homeiq'),
    );
  }, 240_000);
});

let currentBucket = 'homeiq';
/** A fresh ingestor data dir and bucket for one migration. */
async function startFresh(name: string): Promise<void> {
  await proc?.stop('SIGTERM');
  currentBucket = `${name}_${Date.now()}`;
  await startIngestor(currentBucket);
}
