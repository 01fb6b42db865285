/**
 * The migration from an existing InfluxDB against data a REAL Home Assistant wrote: two HA Cores (role `main`) with
 * their own `influxdb` integration, one writing to a real InfluxDB 1.8 (api_version 1, a database, user and
 * password: the community add-on's setup) and one to a real influxd 2.x bucket (api_version 2), while helper
 * entities are driven through HA's REST API. The built ingestor bundle (through the Supervisor emulator; its Core is
 * an empty simulated home, so no live state of its own lands in the buckets compared) then migrates each into a
 * real influxd through its `/api/migration` API, as the admin sibling.
 * Per entity, the count of points, their times and values must equal the source's; a re-run writes nothing new;
 * a SIGKILL in the middle resumes from the saved position; the `ha_compatible` layout gets the points unchanged.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmptyHome, startHaSimulator, type HaSimulator } from '../../dev/ha-sim/index.js';
import { buildBundles, REPO_ROOT, type AddonProcess } from '../../dev/addon-process.js';
import { flux } from '../../dev/influx-query.js';
import {
  createStateDriver,
  DEFAULT_DRIVER_ENTITIES,
  startHomeAssistant,
  type RealHa,
} from '../../dev/peers/homeassistant.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../dev/peers/influxd.js';
import { startInfluxdb1, type RealInfluxdb1 } from '../../dev/peers/influxdb1.js';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from '../../dev/supervisor/index.js';
import {
  createBucket,
  expectMigrated,
  MigrationApi,
  startIngestorInto,
  v1Points,
  v2Points,
} from '../harness/migration.js';

const IP = '127.0.0.101';
const ADMIN_IP = '127.0.0.103';
/** Service calls per second and for how long each HA is driven (each call is one or more state changes). */
const RATE = 10;
const DRIVE_MS = 15_000;
const DATABASE = 'home_assistant';
const HA_USER = { username: 'homeassistant', password: 'ha-writer-password' };
const READER = { username: 'migration', password: 'migration-reader-password' };

let v1: RealInfluxdb1;
let source2: RealInfluxd;
let source2Setup: InfluxSetup;
let target: RealInfluxd;
let targetSetup: InfluxSetup;
let haV1: RealHa;
let haV2: RealHa;
let core: HaSimulator;
let supervisor: SupervisorEmulator;
let addon: RegisteredAddon;
let proc: AddonProcess | undefined;
const dataDirs: string[] = [];
const api = new MigrationApi(IP, ADMIN_IP);

const v1Source = { kind: 'influxdb1', url: '', database: DATABASE, ...READER };
const v2Source = (): Record<string, string> => ({
  kind: 'influxdb2',
  url: source2.url,
  org: source2Setup.org,
  bucket: source2Setup.bucket,
  token: source2Setup.token,
});

/** The ingestor writing into `bucket` of the target influxd, with its own data dir (or the given one: a restart). */
async function startIngestor(bucket: string, opts: { haCompatible?: boolean; dataDir?: string } = {}): Promise<void> {
  proc = await startIngestorInto({ addon, influx: target, setup: targetSetup, bucket, ...opts });
  if (!opts.dataDir) dataDirs.push(proc.dataDir);
}

async function stopIngestor(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await proc?.stop(signal);
  proc = undefined;
}

/** Every field of every point in a bucket, as `measurement|tags|field|time=value`: to compare whole buckets. */
async function everything(bucket: string): Promise<string[]> {
  const rows = await flux(
    target.url,
    targetSetup.org,
    targetSetup.token,
    `from(bucket: "${bucket}") |> range(start: 0) |> filter(fn: (r) => exists r.entity_id)`,
  );
  const skip = new Set(['result', 'table', '_start', '_stop', '_value', '_time', '_field', '_measurement']);
  return rows
    .map((r) => {
      const tags = Object.keys(r)
        .filter((k) => !skip.has(k) && r[k] !== '')
        .sort()
        .map((k) => `${k}=${r[k]}`);
      return `${r['_measurement']}|${tags.join(',')}|${r['_field']}|${r['_time']}=${r['_value']}`;
    })
    .sort();
}

beforeAll(async () => {
  [, v1, source2, target] = await Promise.all([
    buildBundles('ingestor'),
    startInfluxdb1({ release: '1.8' }),
    startInfluxd(),
    startInfluxd(),
  ]);
  source2Setup = await source2.setup({ org: 'home', bucket: 'home_assistant' });
  targetSetup = await target.setup();
  await v1.createDatabase(DATABASE);
  await v1.createUser(HA_USER, [{ privilege: 'WRITE', db: DATABASE }]);
  await v1.createUser(READER, [{ privilege: 'READ', db: DATABASE }]);
  v1Source.url = v1.url;
  // Two real HAs, each with its own influxdb integration: api_version 1 (HA's default) and 2.
  [haV1, haV2] = await Promise.all([
    startHomeAssistant({
      extraConfig: `influxdb:\n  host: 127.0.0.1\n  port: ${v1.port}\n  database: ${DATABASE}\n  username: ${HA_USER.username}\n  password: ${HA_USER.password}\n`,
    }),
    startHomeAssistant({
      extraConfig: `influxdb:\n  api_version: 2\n  ssl: false\n  host: 127.0.0.1\n  port: ${source2.port}\n  organization: ${source2Setup.org}\n  bucket: ${source2Setup.bucket}\n  token: ${source2Setup.token}\n`,
    }),
  ]);
  const entities = [...DEFAULT_DRIVER_ENTITIES, 'counter.test_counter'];
  const drivers = [haV1, haV2].map((ha) =>
    createStateDriver(ha, { ratePerSecond: RATE, durationMs: DRIVE_MS, entities }),
  );
  for (const d of drivers) d.start();
  for (const r of await Promise.all(drivers.map((d) => d.done))) expect(r.failed, r.errors.join('; ')).toBe(0);
  // HA's integration writes in batches of up to a second.
  await new Promise((r) => setTimeout(r, 3000));
  await Promise.all([haV1.stop(), haV2.stop()]);
  core = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
  supervisor = await startSupervisorEmulator({ core: { url: core.url, token: core.token } });
  addon = supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'), ip: IP });
  supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: ADMIN_IP });
  await Promise.all(['homeiq', 'resume', 'from_v2', 'ha_compatible'].map((b) => createBucket(target, targetSetup, b)));
}, 600_000);

afterEach(() => stopIngestor());

afterAll(async () => {
  await stopIngestor();
  await supervisor?.stop();
  await haV1?.stop();
  await haV2?.stop();
  await core?.stop();
  await Promise.all([v1?.dispose(), source2?.dispose(), target?.dispose()]);
  for (const d of dataDirs) await rm(d, { recursive: true, force: true });
});

describe('migration from InfluxDB written by a real Home Assistant', () => {
  it('1.x → HomeIQ layout: per entity the same count, times and values; a re-run writes nothing new', async () => {
    await startIngestor('homeiq');
    const probe = await api.probe(v1Source);
    expect(probe.status, JSON.stringify(probe.body)).toBe(200);
    expect(probe.body.serverVersion).toMatch(/^1\.8/);
    expect(probe.body.entities.map((e) => e.entityId)).toEqual(
      expect.arrayContaining([
        'input_number.test_temperature',
        'sensor.test_temperature_sensor',
        'weather.test_weather',
      ]),
    );
    expect(probe.body.foreign).toEqual([]);
    const started = await api.start({ source: v1Source });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const done = await api.until(proc);
    const source = await v1Points(v1, DATABASE);
    expect(done.counts).toMatchObject({ read: source.size, written: source.size, unmapped: 0, rejected: 0 });
    expectMigrated(source, await v2Points({ ...target, ...targetSetup }, 'homeiq', 'homeiq'));
    // The per-entity report says the same.
    const report = Object.fromEntries(done.report.map((r) => [r.entityId, r.written]));
    const counts: Record<string, number> = {};
    for (const k of source.keys()) counts[k.split('@')[0] as string] = (counts[k.split('@')[0] as string] ?? 0) + 1;
    expect(report).toEqual(counts);
    // What was carried over with a difference is said: numbers rebuilt from HA's float, Python lists as JSON.
    expect(done.notes.map((n) => n.kind)).toEqual(expect.arrayContaining(['state_from_value', 'python_value']));

    const before = await everything('homeiq');
    const again = await api.start({ source: v1Source });
    expect(again.status).toBe(202);
    await api.until(proc, (s) => s.state === 'done' && s.startedAt !== done.startedAt);
    expect(await everything('homeiq')).toEqual(before);
    await stopIngestor();
  });

  it('2.x → HomeIQ layout: per entity the same count, times and values', async () => {
    await startIngestor('from_v2');
    const started = await api.start({ source: v2Source() });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const done = await api.until(proc);
    const source = await v2Points(
      { url: source2.url, org: source2Setup.org, token: source2Setup.token },
      source2Setup.bucket,
      'ha',
    );
    expect(done.counts).toMatchObject({ read: source.size, written: source.size, unmapped: 0 });
    expectMigrated(source, await v2Points({ ...target, ...targetSetup }, 'from_v2', 'homeiq'));
    await stopIngestor();
  });

  it('resumes after a SIGKILL from the saved position, and ends with every point', async () => {
    await startIngestor('resume');
    const dataDir = proc?.dataDir as string;
    // At 40 points/s a window holds about two seconds of work: the saved position moves every window.
    expect((await api.start({ source: v1Source, maxPointsPerSecond: 40 })).status).toBe(202);
    const mid = await api.until(proc, (s) => s.progress > 0.2, 60_000);
    expect(mid.progress).toBeLessThan(1);
    // A confirmed position is saved within a second.
    await new Promise((r) => setTimeout(r, 1500));
    await stopIngestor('SIGKILL');
    await startIngestor('resume', { dataDir });
    const resumed = proc?.lines.find((l) => / resuming the migration \(.*\) at /.test(l)) ?? '';
    const at = Date.parse(/ at (\S+)$/.exec(resumed)?.[1] ?? '');
    expect(at, resumed).toBeGreaterThan(Date.parse(mid.from as string));
    expect((await api.status()).progress).toBeGreaterThan(0.2);
    const done = await api.until(proc, (s) => s.state === 'done', 120_000);
    const source = await v1Points(v1, DATABASE);
    expect(done.counts.written).toBe(source.size);
    expectMigrated(source, await v2Points({ ...target, ...targetSetup }, 'resume', 'homeiq'));
    await stopIngestor();
  });

  it('ha_compatible: the points arrive as HA wrote them, measurement, tags, fields and types', async () => {
    await startIngestor('ha_compatible', { haCompatible: true });
    expect((await api.start({ source: v1Source })).status).toBe(202);
    await api.until(proc);
    const [r] = await v1.query('SHOW MEASUREMENTS', { db: DATABASE });
    const stored: string[] = [];
    for (const [m] of r?.series?.[0]?.values ?? []) {
      const [res] = await v1.query(`SELECT * FROM "${String(m)}" GROUP BY *`, { db: DATABASE });
      for (const s of res?.series ?? []) {
        const tags = Object.entries(s.tags ?? {})
          .filter(([, v]) => v !== '')
          .sort()
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        for (const row of s.values)
          for (let i = 1; i < s.columns.length; i += 1)
            if (row[i] !== null) stored.push(`${m}|${tags}|${s.columns[i]}|${row[0]}=${row[i]}`);
      }
    }
    expect((await everything('ha_compatible')).map(normalizeNumbers)).toEqual(stored.map(normalizeNumbers).sort());
    await stopIngestor();
  });
});

/** 1.x and Flux print the same float differently (`21` vs `21`, `1e+21`): compare numbers as numbers. */
function normalizeNumbers(s: string): string {
  const eq = s.lastIndexOf('=');
  const v = s.slice(eq + 1);
  const n = Number(v);
  return v !== '' && Number.isFinite(n) && /^[-+0-9.eE]+$/.test(v) ? `${s.slice(0, eq)}=${n}` : s;
}
