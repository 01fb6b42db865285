import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoToNs } from '../../../homeiq-ingestor/src/points/line-protocol.js';
import { createEmptyHome, startHaSimulator, type HaSimulator } from '../../../dev/ha-sim/index.js';
import { buildBundles, launchRegistered, REPO_ROOT, tailOf, type AddonProcess } from '../../../dev/addon-process.js';
import { startInfluxdb1, type Influxdb1Release, type RealInfluxdb1 } from '../../../dev/peers/influxdb1.js';
import { startSupervisorEmulator, type RegisteredAddon } from '../../../dev/supervisor/index.js';
import { produceStates } from '../../harness/ha-states.js';
import { until, type UntilOptions } from '../../../dev/until.js';
import { ingestorStatus } from '../../../dev/ingestor-status.js';

const IP = '127.0.71.1';
const ADMIN_IP = '127.0.71.3';
const DB = 'home_assistant';
const USER = { username: 'homeassistant', password: 'ha-writer-password' };

type Flavour = 'v1' | 'v2-compat';

beforeAll(async () => {
  await buildBundles('ingestor', 'admin');
}, 600_000);

describe.each<[Influxdb1Release, Flavour]>([
  ['1.8', 'v1'],
  ['1.8', 'v2-compat'],
  ['debian', 'v1'],
])('ingestor → real InfluxDB 1.x (%s, %s)', (release, flavour) => {
  let influx: RealInfluxdb1;
  let ha: HaSimulator;
  let supervisor: Awaited<ReturnType<typeof startSupervisorEmulator>>;
  let addon: RegisteredAddon;
  let proc: AddonProcess | undefined;
  let admin: AddonProcess | undefined;
  let panel: string;

  /** Waits show the ingestor's last output lines when they time out. */
  const INGESTOR: UntilOptions = { ms: 30_000, everyMs: 50, context: () => tailOf(proc, 40) };

  // biome-ignore lint/suspicious/noExplicitAny: the test reads a few fields of the status answer
  const status = (): Promise<any> => ingestorStatus(IP, ADMIN_IP);

  beforeAll(async () => {
    influx = await startInfluxdb1({ release });
    await influx.createDatabase(DB);
    await influx.createUser(USER, [{ db: DB, privilege: 'WRITE' }]);
    ha = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
    supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token } });
    const external =
      flavour === 'v1'
        ? { url: influx.url, database: DB, username: USER.username, password: USER.password }
        : { url: influx.url, org: '-', bucket: `${DB}/autogen`, token: `${USER.username}:${USER.password}` };
    addon = supervisor.registerAddon({
      configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'),
      ip: IP,
      options: { log_level: 'info', event_types: [], target: 'external', external, flush_interval_ms: 100 },
    });
    const adminAddon = supervisor.registerAddon({
      configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'),
      ip: ADMIN_IP,
    });
    proc = await launchRegistered({ name: 'ingestor', supervisorUrl: supervisor.url, addon });
    // The panel, with no HomeIQ InfluxDB add-on installed: a user who writes to their own InfluxDB needs none.
    admin = await launchRegistered({ name: 'admin', supervisorUrl: supervisor.url, addon: adminAddon });
    await admin.waitForLine(/ INFO {2}started$/, 60_000);
    panel = supervisor.ingressUrl(adminAddon.slug, '');
    await until('the ingestor connected to HA', async () => (await status()).homeAssistant.connected, INGESTOR);
    // States set before the subscription exists would reach InfluxDB only through the snapshot (the last one each).
    await until(
      'the state_changed subscription',
      async () => ha.received.some((r) => (r.msg as { type?: string }).type === 'subscribe_events'),
      INGESTOR,
    );
  }, 600_000);

  afterAll(async () => {
    await admin?.stop('SIGTERM');
    await proc?.stop('SIGTERM');
    await supervisor?.stop();
    await ha?.stop();
    await influx?.dispose();
    for (const p of [proc, admin]) if (p) await rm(p.dataDir, { recursive: true, force: true });
  });

  /** `entity@µs → value` of what InfluxDB holds for the prefix (InfluxQL, epoch in µs: exact in a JSON number). */
  async function stored(prefix: string): Promise<Map<string, number>> {
    const [r] = await influx.query(
      `SELECT "value" FROM "sensor" WHERE "entity_id" =~ /^sensor\\.${prefix}_/ GROUP BY "entity_id"`,
      { db: DB, epoch: 'u' },
    );
    const out = new Map<string, number>();
    for (const s of r?.series ?? [])
      for (const [t, v] of s.values) out.set(`${s.tags?.['entity_id']}@${BigInt(t as number)}`, v as number);
    return out;
  }
  /** HA's last_updated has microseconds: the µs key compares it exactly. */
  const key = (s: { entity_id: string; last_updated: string }): string =>
    `${s.entity_id}@${BigInt(isoToNs(s.last_updated) ?? 0) / 1000n}`;

  it('records every state change with its value and timestamp, and says where in /api/status', async () => {
    const sent = produceStates(ha, 'live', 100);
    await until('100 points in InfluxDB 1.x', async () => (await stored('live')).size === 100, INGESTOR);
    const got = await stored('live');
    for (const s of sent) expect(got.get(key(s))).toBe(Number(s.state));
    expect((await status()).target).toEqual(
      flavour === 'v1'
        ? { kind: 'external', api: 'v1', url: influx.url, database: DB, retentionPolicy: null }
        : { kind: 'external', api: 'v2', url: influx.url, org: '-', bucket: `${DB}/autogen` },
    );
  }, 60_000);

  it('InfluxDB 1.x stopped, then started again: nothing lost', async () => {
    await influx.stop();
    const sent = produceStates(ha, 'outage', 300);
    await until('spooled', async () => (await status()).spool.bytes > 0, INGESTOR);
    await until('the writer sees the outage', async () => (await status()).writer.failingSince !== undefined, INGESTOR);
    await influx.start();
    await until('300 points after the outage', async () => (await stored('outage')).size === 300, {
      ...INGESTOR,
      ms: 60_000,
    });
    const got = await stored('outage');
    for (const s of sent) expect(got.get(key(s))).toBe(Number(s.state));
    await until('the spool drained', async () => (await status()).spool.bytes === 0, INGESTOR);
    expect((await status()).health.checks.find((c: { name: string }) => c.name === 'influxdb-writes')?.status).toBe(
      'green',
    );
    const log = proc?.lines.join('\n') ?? '';
    expect(log).toMatch(/writing to InfluxDB again/);
    expect(log).not.toContain(USER.password);
  }, 120_000);

  it("the panel's Entities, Storage, Explore, the console and overview say where the data is instead of looking empty", async () => {
    const where =
      flavour === 'v1' ? `${influx.url} (InfluxDB 1.x database ${DB})` : `${influx.url} (bucket ${DB}/autogen)`;
    const get = async (path: string) => {
      const r = await fetch(`${panel}${path}`);
      expect(r.status, `${path}: ${r.status}`).toBe(200);
      return (await r.json()) as {
        elsewhere?: string;
        entities?: unknown[];
        checks?: { id: string; facts: [string, string][] }[];
      };
    };
    for (const path of ['api/entities', 'api/storage', 'api/explore/entities', 'api/query']) {
      const body = await get(path);
      expect(body.elsewhere).toContain(`writes to your own InfluxDB, ${where}, not to the HomeIQ InfluxDB add-on`);
    }
    expect((await get('api/entities')).entities).toEqual([]);
    expect((await get('api/explore/entities')).entities).toEqual([]);
    const ingestion = (await get('api/overview')).checks?.find((c) => c.id === 'ingestion');
    expect(ingestion?.facts).toContainEqual(['writes to', where]);
  }, 60_000);
});
