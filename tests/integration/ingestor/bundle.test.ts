/**
 * End to end: HA simulator → Supervisor emulator (Core WebSocket proxy) → the built ingestor bundle on Node 24
 * → the real influxd. Events arrive with the right values and µs timestamps; influxd stopped and restarted
 * loses nothing; the ingestor SIGKILLed with points spooled but not yet written loses nothing after a restart.
 * The bundle is built and run by tests/harness (the project's one esbuild config, the container-like launch).
 */
import { httpRequestRaw } from '@homeiq/shared';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoToNs } from '../../../homeiq-ingestor/src/points/line-protocol.js';
import { buildBundles, REPO_ROOT, tailOf, type AddonProcess } from '../../../dev/addon-process.js';
import { createEmptyHome, startHaSimulator, type HaSimulator } from '../../../dev/ha-sim/index.js';
import type { InfluxSetup, RealInfluxd } from '../../../dev/peers/influxd.js';
import { startSupervisorEmulator, type RegisteredAddon } from '../../../dev/supervisor/index.js';
import { countPoints, flux } from '../../../dev/influx-query.js';
import { ingestorStatus, launchIngestorConnected } from '../../../dev/ingestor-status.js';
import { startInfluxd } from '../../../dev/peers/influxd.js';
import { produceStates } from '../../harness/ha-states.js';
import { until, type UntilOptions } from '../../../dev/until.js';

const IP = '127.0.0.41';
/** The admin sibling's address: the only caller the ingestor's API answers besides /health. */
const ADMIN_IP = '127.0.0.43';

let ha: HaSimulator;
let influx: RealInfluxd;
let setup: InfluxSetup;
let supervisor: Awaited<ReturnType<typeof startSupervisorEmulator>>;
let addon: RegisteredAddon;
let dataDir: string | undefined;
let proc: AddonProcess | undefined;
/** Waits show the ingestor's last output lines when they time out. */
const INGESTOR: UntilOptions = { ms: 30_000, everyMs: 50, context: () => tailOf(proc) };

const status = () =>
  ingestorStatus<{
    homeAssistant: { connected: boolean };
    spool: { committed: number; bytes: number };
    writer: { written: number };
  }>(IP, ADMIN_IP);

/** Starts the bundle the way the Supervisor does (options rendered by the emulator), on the same data dir each time. */
async function startIngestor(): Promise<void> {
  const subscribed = ha.received.filter((r) => (r.msg as { type?: string }).type === 'subscribe_events').length;
  proc = await launchIngestorConnected({
    supervisorUrl: supervisor.url,
    addon,
    adminIp: ADMIN_IP,
    waitMs: 30_000,
    everyMs: 50,
    ...(dataDir ? { dataDir } : {}),
  });
  dataDir = proc.dataDir;
  await until(
    'the state_changed subscription',
    () => ha.received.filter((r) => (r.msg as { type?: string }).type === 'subscribe_events').length > subscribed,
    INGESTOR,
  );
}

async function killIngestor(signal: NodeJS.Signals): Promise<void> {
  await proc?.stop(signal);
  proc = undefined;
}

beforeAll(async () => {
  await buildBundles('ingestor');
  influx = await startInfluxd();
  setup = await influx.setup();
  ha = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
  supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token } });
  addon = supervisor.registerAddon({
    configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'),
    ip: IP,
    options: {
      log_level: 'info',
      event_types: [],
      target: 'external',
      external: { url: influx.url, org: setup.org, bucket: setup.bucket, token: setup.token },
      flush_interval_ms: 100,
    },
  });
  supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: ADMIN_IP });
  await startIngestor();
}, 600_000);

afterAll(async () => {
  await killIngestor('SIGTERM');
  await supervisor?.stop();
  await ha?.stop();
  await influx?.dispose();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function stored(prefix: string): Promise<Map<string, string>> {
  const rows = await flux(
    influx.url,
    setup.org,
    setup.token,
    `from(bucket: "${setup.bucket}") |> range(start: 0) |> filter(fn: (r) => r._measurement == "sensor" and r._field == "value" and strings.hasPrefix(v: r.entity_id, prefix: "sensor.${prefix}_"))`.replace(
      /^/,
      'import "strings"\n',
    ),
  );
  return new Map(rows.map((r) => [`${r['entity_id']}@${isoToNs(r['_time'] ?? '')}`, r['_value'] as string]));
}

/** Compared in exact nanoseconds: InfluxDB must hold HA's last_updated to the microsecond. */
const key = (s: { entity_id: string; last_updated: string }): string => `${s.entity_id}@${isoToNs(s.last_updated)}`;

describe('ingestor end to end (HA simulator → Supervisor emulator → bundle → real influxd)', () => {
  it('records every state change with its value, tags and µs last_updated', async () => {
    const sent = produceStates(ha, 'live', 200);
    await until('200 points in InfluxDB', async () => (await stored('live')).size === 200, INGESTOR);
    const got = await stored('live');
    for (const s of sent) expect(got.get(key(s))).toBe(s.state);
    const tags = await flux(
      influx.url,
      setup.org,
      setup.token,
      `from(bucket: "${setup.bucket}") |> range(start: 0) |> filter(fn: (r) => r.entity_id == "sensor.live_0" and r._field == "attr_friendly_name_str") |> last()`,
    );
    expect(tags[0]).toMatchObject({ domain: 'sensor', unit: '°C', device_class: 'temperature', _value: 'T 0' });
    const metrics = (await httpRequestRaw(`http://${IP}:8325/metrics`, { localAddress: ADMIN_IP })).body.toString(
      'utf8',
    );
    expect(metrics).toMatch(/^homeiq_points_written_total (\d+)$/m);
  }, 120_000);

  it('influxd stopped, then restarted: nothing lost', async () => {
    await influx.stop();
    const sent = produceStates(ha, 'outage', 300);
    await until('spooled', async () => (await status()).spool.bytes > 0, INGESTOR);
    const health = await fetch(`http://${IP}:8325/health`);
    expect([200, 503]).toContain(health.status); // amber (200) until the red threshold; the reason is listed
    await influx.start();
    await until('300 points after the outage', async () => (await stored('outage')).size === 300, {
      ...INGESTOR,
      ms: 60_000,
    });
    const got = await stored('outage');
    for (const s of sent) expect(got.get(key(s))).toBe(s.state);
  }, 120_000);

  it('ingestor SIGKILLed with points spooled but not yet written: nothing lost after the restart', async () => {
    await influx.stop();
    const before = (await status()).spool.committed;
    const sent = produceStates(ha, 'crash', 500);
    await until(
      '500 points durable in the spool',
      async () => (await status()).spool.committed >= before + 500,
      INGESTOR,
    );
    await killIngestor('SIGKILL');
    await influx.start();
    await startIngestor();
    await until('500 points after the crash', async () => (await stored('crash')).size === 500, {
      ...INGESTOR,
      ms: 60_000,
    });
    const got = await stored('crash');
    for (const s of sent) expect(got.get(key(s))).toBe(s.state);
    expect(await countPoints(influx.url, setup.org, setup.token, setup.bucket, 'r._measurement == "sensor"')).toBe(
      1000,
    );
  }, 120_000);
});
