/**
 * Target `auto`, the product's default path, end to end: HA simulator → Supervisor emulator → the ingestor
 * bundle, which locates the homeiq-influxdb bundle (running a real influxd) through the emulator, asks it for a
 * token on 8326, writes, and asks again after InfluxDB answers 401. Each add-on has its own loopback address,
 * so the token hand-over's identity check is the real one. Also: the ingestor API's identity through the bundle,
 * and self-telemetry points arriving in InfluxDB.
 */
import { httpRequestRaw } from '@homeiq/shared';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmptyHome, startHaSimulator, type HaSimulator } from '../../../dev/ha-sim/index.js';
import {
  buildBundles,
  launchRegistered,
  REPO_ROOT,
  startAddon,
  tailOf,
  type AddonProcess,
} from '../../../dev/addon-process.js';
import { buildInfluxd } from '../../../dev/peers/influxd.js';
import {
  startSupervisorEmulator,
  type RegisteredAddon,
  type SupervisorEmulator,
} from '../../../dev/supervisor/index.js';
import { flux } from '../../../dev/influx-query.js';
import { until, type UntilOptions } from '../../../dev/until.js';

const IP = { ingestor: '127.0.52.1', influxdb: '127.0.52.2', admin: '127.0.52.3' };
const INFLUX = `http://${IP.influxdb}:8086`;

let ha: HaSimulator;
let emulator: SupervisorEmulator;
let reg: Record<'ingestor' | 'influxdb' | 'admin', RegisteredAddon>;
let influxdb: AddonProcess;
let ingestor: AddonProcess | undefined;
let read: { token: string; org: string; bucket: string };
/** Waits show both add-ons' last output lines when they time out. */
const ADDONS: UntilOptions = {
  ms: 30_000,
  everyMs: 100,
  context: () => `${tailOf(ingestor, 40)}\n${tailOf(influxdb, 20)}`,
};

async function get(url: string, from: string): Promise<{ status: number; text: string }> {
  const res = await httpRequestRaw(url, { localAddress: from, timeoutMs: 10_000 });
  return { status: res.status, text: res.body.toString('utf8') };
}

async function askToken(from: string): Promise<{ token: string; org: string; bucket: string }> {
  const res = await httpRequestRaw(`http://${IP.influxdb}:8326/api/tokens`, {
    method: 'POST',
    localAddress: from,
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
    timeoutMs: 30_000,
  });
  if (res.status !== 200) throw new Error(`POST /api/tokens from ${from}: ${res.status} ${res.body.toString()}`);
  return JSON.parse(res.body.toString('utf8')) as { token: string; org: string; bucket: string };
}

function produce(prefix: string, n: number): Map<string, string> {
  const want = new Map<string, string>();
  for (let i = 0; i < n; i += 1) {
    const entity = `sensor.${prefix}_${i % 4}`;
    ha.setState(entity, String(i + 0.5), { unit_of_measurement: 'W', friendly_name: `${prefix} ${i % 4}` });
    const s = ha.states().find((x) => x.entity_id === entity) as { last_updated: string };
    want.set(`${entity}@${new Date(s.last_updated).getTime()}`, String(i + 0.5));
  }
  return want;
}

/** entity@ms → value of the `value` field, for entities of `prefix`. */
async function stored(prefix: string): Promise<Map<string, string>> {
  const rows = await flux(
    INFLUX,
    read.org,
    read.token,
    `import "strings"\nfrom(bucket: "${read.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "sensor" and r._field == "value" and strings.hasPrefix(v: r.entity_id, prefix: "sensor.${prefix}_"))`,
  );
  return new Map(
    rows.map((r) => [`${r['entity_id']}@${new Date(r['_time'] ?? '').getTime()}`, String(Number(r['_value']))]),
  );
}

async function haveAll(prefix: string, want: Map<string, string>): Promise<boolean> {
  const got = await stored(prefix);
  if (got.size !== want.size) return false;
  for (const [k, v] of want) expect(got.get(k), k).toBe(String(Number(v)));
  return true;
}

beforeAll(async () => {
  await buildBundles('influxdb', 'ingestor');
  const influxd = await buildInfluxd();
  ha = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
  emulator = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token } });
  const register = (name: string, ip: string): RegisteredAddon =>
    emulator.registerAddon({ configPath: join(REPO_ROOT, `homeiq-${name}`, 'config.yaml'), ip });
  reg = {
    influxdb: register('influxdb', IP.influxdb),
    ingestor: register('ingestor', IP.ingestor),
    admin: register('admin', IP.admin),
  };
  influxdb = await launchRegistered({
    name: 'influxdb',
    supervisorUrl: emulator.url,
    addon: reg.influxdb,
    extraEnv: { HOMEIQ_INFLUXD_BIN: influxd },
  });
  await influxdb.waitForLine(/ INFO {2}started$/, 120_000);
  await until(
    'influxdb healthy',
    async () => (await get(`http://${IP.influxdb}:8326/health`, IP.admin)).status === 200,
    { ...ADDONS, ms: 60_000 },
  );
  read = await askToken(IP.admin);
  // As the Supervisor would render them: config defaults (target auto) plus the user's two changes.
  const defaults = (await (
    await fetch(`${emulator.url}/addons/self/options/config`, {
      headers: { Authorization: `Bearer ${reg.ingestor.token}` },
    })
  ).json()) as { data: Record<string, unknown> };
  expect(defaults.data['target']).toBe('auto');
  ingestor = await startAddon({
    name: 'ingestor',
    options: { ...defaults.data, flush_interval_ms: 100, telemetry_interval_s: 1 },
    env: reg.ingestor.env(),
  });
  await ingestor.waitForLine(/ INFO {2}started$/, 60_000);
  await until(
    'connected to HA',
    async () =>
      JSON.parse((await get(`http://${IP.ingestor}:8325/api/status`, IP.admin)).text).homeAssistant.connected === true,
    ADDONS,
  );
  await until(
    'the state_changed subscription',
    async () => ha.received.some((r) => (r.msg as { type?: string }).type === 'subscribe_events'),
    ADDONS,
  );
}, 900_000);

afterAll(async () => {
  await ingestor?.stop('SIGTERM');
  await influxdb?.stop('SIGTERM');
  await emulator?.stop();
  await ha?.stop();
  for (const d of [ingestor?.dataDir, influxdb?.dataDir]) if (d) await rm(d, { recursive: true, force: true });
});

describe('target auto: ingestor bundle → homeiq-influxdb bundle, through the Supervisor emulator', () => {
  it('locates the sibling, gets a token from it (kept 0600), and writes every state change', async () => {
    const want = produce('auto', 120);
    await until('120 points in the sibling InfluxDB', () => haveAll('auto', want), ADDONS);
    const file = join(ingestor?.dataDir ?? '', 'influxdb-token.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ org: read.org, bucket: read.bucket, port: 8086 });
    expect(
      ingestor?.lines.some((l) =>
        /received a write token for bucket 'homeassistant' from the HomeIQ InfluxDB add-on/.test(l),
      ),
    ).toBe(true);
  }, 120_000);

  it('after InfluxDB answers 401 (token revoked), asks the sibling again and loses nothing', async () => {
    const file = join(ingestor?.dataDir ?? '', 'influxdb-token.json');
    const before = JSON.parse(await readFile(file, 'utf8')) as { token: string };
    // The ingestor's own address asking again revokes the token it holds (docs/CONVENTIONS.md "Token hand-over").
    const stolen = await askToken(IP.ingestor);
    expect(stolen.token).not.toBe(before.token);
    const want = produce('rotated', 150);
    await until('150 points written with a fresh token', () => haveAll('rotated', want), { ...ADDONS, ms: 60_000 });
    expect(
      ingestor?.lines.some((l) =>
        /InfluxDB rejected our token .*asking the HomeIQ InfluxDB add-on for a new one/.test(l),
      ),
    ).toBe(true);
    const after = JSON.parse(await readFile(file, 'utf8')) as { token: string };
    expect(after.token).not.toBe(before.token);
    expect(after.token).not.toBe(stolen.token); // ours was revoked by the second ask; the ingestor got a third
    await until(
      'health green again',
      async () =>
        JSON.parse((await get(`http://${IP.ingestor}:8325/health`, IP.admin)).text).status === 'green' || undefined,
      { ...ADDONS, ms: 20_000 },
    );
  }, 120_000);

  it('writes self-telemetry into the same bucket through the spool', async () => {
    const rows = await until(
      'telemetry points',
      async () => {
        const r = await flux(
          INFLUX,
          read.org,
          read.token,
          `from(bucket: "${read.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "homeiq_ingestor" and r._field == "written") |> last()`,
        );
        return r.length > 0 && Number(r[0]?.['_value']) > 0 ? r : undefined;
      },
      { ...ADDONS, ms: 30_000 },
    );
    expect(Number(rows[0]?.['_value'])).toBeGreaterThanOrEqual(120);
  }, 60_000);

  it('answers its API to the admin sibling only (addresses from the emulator)', async () => {
    expect((await get(`http://${IP.ingestor}:8325/api/status`, IP.admin)).status).toBe(200);
    expect((await get(`http://${IP.ingestor}:8325/api/status`, IP.influxdb)).status).toBe(403);
    expect((await get(`http://${IP.ingestor}:8325/metrics`, '127.0.52.9')).status).toBe(403);
    expect((await get(`http://${IP.ingestor}:8325/health`, '127.0.52.9')).status).toBe(200);
  });
});
