import { rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundles, REPO_ROOT, tailOf, type AddonProcess } from '../../dev/addon-process.js';
import { isoNs as ns, recordedChanges } from '../../dev/ha-recorder.js';
import { flux } from '../../dev/influx-query.js';
import { ingestorStatus, launchIngestorConnected } from '../../dev/ingestor-status.js';
import {
  createStateDriver,
  DEFAULT_DRIVER_ENTITIES,
  startHomeAssistant,
  type RealHa,
  type StateDriverResult,
} from '../../dev/peers/homeassistant.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../dev/peers/influxd.js';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from '../../dev/supervisor/index.js';
import { until, type UntilOptions } from '../../dev/until.js';

/** Issue 4: "influxd stopped for 2 minutes". Run in full: the whole file stays around 4-5 minutes. */
const OUTAGE_MS = 120_000;
/** Service calls per second over the six helpers (each call is one recorded state change). */
const RATE = 8;
const IP = '127.0.0.91';
const ADMIN_IP = '127.0.0.93';
const ENTITIES = [...DEFAULT_DRIVER_ENTITIES];

let ha: RealHa;
let influx: RealInfluxd;
let setup: InfluxSetup;
let supervisor: SupervisorEmulator;
let addon: RegisteredAddon;
let relay: TcpRelay;
let proc: AddonProcess | undefined;
let dataDir: string | undefined;

interface TcpRelay {
  url: string;
  /** Destroys every relayed connection (both sides); new connections keep working. */
  drop(): number;
  close(): Promise<void>;
}

/** A loopback TCP relay to `port`, so the test can cut the connections it carries. */
async function startRelay(targetPort: number): Promise<TcpRelay> {
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    drop() {
      const n = pairs.size;
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      return n;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        server.close(() => r());
      }),
  };
}

/** Waits show the ingestor's last output lines when they time out. */
const INGESTOR: UntilOptions = { ms: 60_000, everyMs: 100, context: () => tailOf(proc) };

interface Status {
  homeAssistant: { connected: boolean; connects: number };
  spool: { committed: number; bytes: number };
  writer: { written: number };
}
const status = (): Promise<Status> => ingestorStatus<Status>(IP, ADMIN_IP);
const connects = async (): Promise<number> => (await status()).homeAssistant.connects;

async function startIngestor(): Promise<void> {
  proc = await launchIngestorConnected({
    supervisorUrl: supervisor.url,
    addon,
    adminIp: ADMIN_IP,
    ...(dataDir ? { dataDir } : {}),
  });
  dataDir = proc.dataDir;
}

/** What HA's recorder holds in (start, end) for the driven entities: `entity@ns` → state. */
const recorder = (start: Date, end: Date): Promise<Map<string, string>> => recordedChanges(ha, ENTITIES, start, end);

/** What InfluxDB holds in (start, end) for the same entities: `entity@ns` → field `state`. */
async function stored(start: Date, end: Date): Promise<Map<string, string>> {
  const set = `[${ENTITIES.map((e) => JSON.stringify(e)).join(', ')}]`;
  const startNs = BigInt(start.getTime()) * 1_000_000n + 1n;
  const rows = await flux(
    influx.url,
    setup.org,
    setup.token,
    `import "array"\nids = ${set}\nfrom(bucket: "${setup.bucket}") |> range(start: time(v: ${startNs}), stop: ${end.toISOString()}) ` +
      `|> filter(fn: (r) => r._field == "state" and contains(value: r.entity_id, set: ids))`,
  );
  return new Map(rows.map((r) => [`${r['entity_id']}@${ns(r['_time'] ?? '')}`, r['_value'] ?? '']));
}

/** What the test did and when (ISO), printed with a mismatch: a lost point is placed against the kill and the reconnect. */
const timeline: string[] = [];
const mark = (what: string): void => {
  timeline.push(`${new Date().toISOString()} ${what}`);
  console.log(timeline.at(-1));
};

/** Per entity, HA's rows and InfluxDB's around each mismatching key (±3 s), side by side, for the failure message. */
function around(keys: string[], held: Map<string, string>, got: Map<string, string>): string {
  const out: string[] = [];
  for (const key of keys.slice(0, 5)) {
    const [entity, at] = key.split('@') as [string, string];
    const t = BigInt(at);
    const near = (m: Map<string, string>): Map<string, string> =>
      new Map(
        [...m].filter(([k]) => {
          const d = BigInt(k.split('@')[1] as string) - t;
          return k.startsWith(`${entity}@`) && (d < 0n ? -d : d) <= 3_000_000_000n;
        }),
      );
    const h = near(held);
    const g = near(got);
    const times = [...new Set([...h.keys(), ...g.keys()])].sort((a, b) =>
      BigInt(a.split('@')[1] as string) < BigInt(b.split('@')[1] as string) ? -1 : 1,
    );
    out.push(`${key} (${new Date(Number(t / 1_000_000n)).toISOString()}):`);
    for (const k of times) {
      const kt = k.split('@')[1] as string;
      const iso = `${new Date(Number(BigInt(kt) / 1_000_000n)).toISOString().slice(11, 23)}${kt.slice(-6, -3)}`;
      out.push(`  ${iso}  HA ${h.get(k) ?? '—'}  InfluxDB ${g.get(k) ?? '—'}${k === key ? '   <==' : ''}`);
    }
  }
  return out.join('\n');
}

function perEntity(m: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of m.keys()) {
    const e = k.split('@')[0] as string;
    out[e] = (out[e] ?? 0) + 1;
  }
  return out;
}

/**
 * The check of every scenario: waits for HA's recorder to commit (1 s interval) and for InfluxDB to catch up, then
 * compares exactly. Returns the number of changes compared.
 */
async function expectRecorderEqualsInflux(start: Date, minChanges: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 2500));
  const end = new Date();
  const held = await recorder(start, end);
  expect(held.size, 'HA recorded the driven changes').toBeGreaterThanOrEqual(minChanges);
  let got = new Map<string, string>();
  await until(
    `InfluxDB to hold the ${held.size} changes HA recorded`,
    async () => {
      got = await stored(start, end);
      return got.size >= held.size;
    },
    { ...INGESTOR, ms: 90_000 },
  ).catch(() => undefined);
  const missing = [...held.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !held.has(k));
  const wrong = [...held]
    .filter(([k, v]) => got.has(k) && got.get(k) !== v)
    .map(([k, v]) => `${k}: HA ${v}, InfluxDB ${got.get(k)}`);
  if (missing.length + extra.length + wrong.length > 0) {
    const keys = [...missing, ...extra, ...[...held.keys()].filter((k) => got.has(k) && got.get(k) !== held.get(k))];
    console.error(
      `recorder vs InfluxDB mismatch in (${start.toISOString()}, ${end.toISOString()}):\n${around(keys, held, got)}\n` +
        `--- timeline ---\n${timeline.join('\n')}\n--- ingestor output (last 80 lines) ---\n${proc?.lines.slice(-80).join('\n') ?? '(not running)'}`,
    );
  }
  expect(
    { missing: missing.slice(0, 20), extra: extra.slice(0, 20), wrong: wrong.slice(0, 20) },
    `missing ${missing.length}, extra ${extra.length}, wrong ${wrong.length}`,
  ).toEqual({ missing: [], extra: [], wrong: [] });
  expect(perEntity(got)).toEqual(perEntity(held));
  expect(got.size).toBe(held.size);
  return held.size;
}

function drive(durationMs: number): { done: Promise<StateDriverResult>; stop: () => Promise<StateDriverResult> } {
  const d = createStateDriver(ha, { ratePerSecond: RATE, durationMs, entities: ENTITIES });
  d.start();
  return { done: d.done, stop: () => d.stop() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const [, i, h] = await Promise.all([buildBundles('ingestor'), startInfluxd(), startHomeAssistant()]);
  influx = i;
  ha = h;
  setup = await influx.setup();
  relay = await startRelay(ha.port);
  supervisor = await startSupervisorEmulator({ core: { url: relay.url, token: ha.token, version: ha.version } });
  addon = supervisor.registerAddon({
    configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'),
    ip: IP,
    options: {
      log_level: 'info',
      event_types: [],
      target: 'external',
      external: { url: influx.url, org: setup.org, bucket: setup.bucket, token: setup.token },
      flush_interval_ms: 200,
      skip_restart_duplicates: false,
    },
  });
  supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: ADMIN_IP });
  await startIngestor();
}, 600_000);

afterAll(async () => {
  await proc?.stop('SIGTERM');
  await supervisor?.stop();
  await relay?.close();
  await ha?.stop();
  await influx?.dispose();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('ingestor against real Home Assistant Core: the recorder equals InfluxDB', () => {
  it(
    '(a) influxd stopped for OUTAGE_MS while states change: nothing lost',
    async () => {
      const start = new Date();
      const d = drive(OUTAGE_MS + 4000);
      await sleep(2000);
      await influx.stop();
      const before = (await status()).spool.committed;
      await sleep(OUTAGE_MS);
      expect((await status()).spool.committed, 'points kept spooling during the outage').toBeGreaterThan(
        before + RATE * (OUTAGE_MS / 1000) * 0.5,
      );
      await influx.start();
      const r = await d.done;
      expect(r.failed).toBe(0);
      await expectRecorderEqualsInflux(start, r.sent);
    },
    OUTAGE_MS + 240_000,
  );

  it('(b) influxd SIGKILLed while writes flow: nothing lost', async () => {
    const start = new Date();
    const d = drive(12_000);
    await sleep(4000);
    await influx.kill();
    await sleep(4000);
    await influx.start();
    const r = await d.done;
    expect(r.failed).toBe(0);
    await expectRecorderEqualsInflux(start, r.sent);
  }, 240_000);

  it('(c) ingestor SIGKILLed mid-batch while writes flow: nothing lost after its restart', async () => {
    const start = new Date();
    const d = drive(24_000);
    // Past the backfill state's 10 s save interval, so the restart's gap starts from a recent "last event seen".
    await sleep(12_000);
    const written = (await status()).writer.written;
    await until('writes flowing', async () => (await status()).writer.written > written, { ...INGESTOR, ms: 10_000 });
    mark('(c) SIGKILL the ingestor');
    await proc?.stop('SIGKILL');
    proc = undefined;
    await sleep(3000); // states keep changing while the ingestor is gone
    mark('(c) starting the ingestor again');
    await startIngestor();
    mark('(c) ingestor connected to HA');
    const r = await d.done;
    expect(r.failed).toBe(0);
    await expectRecorderEqualsInflux(start, r.sent);
  }, 240_000);

  it('(d) Home Assistant restarted while states change: nothing lost', async () => {
    const start = new Date();
    const before = await connects();
    const d1 = drive(5000);
    const r1 = await d1.done;
    await ha.restart();
    await until(
      'the reconnection after the HA restart',
      async () => (await connects()) > before && (await status()).homeAssistant.connected,
      { ...INGESTOR, ms: 120_000 },
    );
    const d2 = drive(5000);
    const r2 = await d2.done;
    expect(r1.failed + r2.failed).toBe(0);
    await expectRecorderEqualsInflux(start, r1.sent + r2.sent);
  }, 300_000);

  it('(e) the socket dropped (Core side cut under the Supervisor proxy) while states change: nothing lost', async () => {
    const start = new Date();
    const before = await connects();
    const d = drive(12_000);
    await sleep(3000);
    expect(relay.drop(), 'the ingestor socket ran through the relay').toBeGreaterThan(0);
    await until(
      'the reconnection after the drop',
      async () => (await connects()) > before && (await status()).homeAssistant.connected,
      { ...INGESTOR, ms: 60_000 },
    );
    await sleep(3000);
    relay.drop(); // and once more, while the reconnect's backfill may still be running
    const r = await d.done;
    expect(r.failed).toBe(0);
    await until('connected again', async () => (await status()).homeAssistant.connected, { ...INGESTOR, ms: 60_000 });
    await expectRecorderEqualsInflux(start, r.sent);
  }, 240_000);

  it('(f) reconnects while states change fast: a change made just before the subscription, not yet committed by the recorder, is not lost', async () => {
    // history_during_period reads only what HA's recorder committed (commit_interval 1 s here): a change made just
    // before a (re)subscription and superseded before get_states reaches the ingestor only through a later query.
    // Many reconnects at a high change rate make that window likely to be hit at least once. The reconnect delay
    // doubles while connections keep dropping (it starts again only after one stayed up a minute), so the ingestor
    // is restarted first (its delays then go 1, 2, 4, 8, 16 s), and the changes flow until the last reconnect.
    mark('(f) restarting the ingestor');
    await proc?.stop('SIGTERM');
    proc = undefined;
    await startIngestor();
    const start = new Date();
    const d = createStateDriver(ha, { ratePerSecond: 30, durationMs: 240_000, entities: ENTITIES });
    d.start();
    for (let i = 0; i < 6; i += 1) {
      const before = await connects();
      await sleep(400);
      relay.drop();
      await until(
        'the reconnection after a drop',
        async () => (await connects()) > before && (await status()).homeAssistant.connected,
        { ...INGESTOR, ms: 60_000 },
      );
      mark(`(f) reconnected (${i + 1})`);
    }
    await sleep(1000);
    const r = await d.stop();
    expect(r.failed).toBe(0);
    await expectRecorderEqualsInflux(start, r.sent);
  }, 300_000);
});
