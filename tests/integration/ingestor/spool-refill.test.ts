/**
 * End to end (HA simulator → Supervisor emulator → the built ingestor bundle → a loopback proxy → the real influxd),
 * with the smallest spool (`spool_max_mb` 16): the proxy answers 503 while "blocked", so the spool fills up; states
 * changed while it is full are refused. Once InfluxDB accepts writes again and the spool has room, the ingestor
 * recovers them from HA's recorder (the refill): InfluxDB then holds every state the simulator's recorder holds for
 * the run, per entity, with the same values and timestamps to the nanosecond; the refill shows in /health,
 * /api/status, /metrics and the log. The socket also drops while the spool is full, so states that reach the
 * ingestor only through the reconnect's snapshot and gap backfill are refused, and recovered, too.
 */
import { httpRequestRaw } from '@homeiq/shared';
import { rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportedEntityIds } from '../../../homeiq-ingestor/src/report/entities.js';
import { buildBundles, launchRegistered, REPO_ROOT, tailOf } from '../../../dev/addon-process.js';
import { createEmptyHome, startHaSimulator, type HaSimulator } from '../../../dev/ha-sim/index.js';
import { RawClient } from '../../../dev/ha-sim/test-client.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../../../dev/peers/influxd.js';
import { startSupervisorEmulator } from '../../../dev/supervisor/index.js';
import { flux } from '../../../dev/influx-query.js';
import { until } from '../../../dev/until.js';

const IP = '127.0.59.1';
/** The admin sibling's address: the only caller the ingestor's API answers besides /health. */
const ADMIN_IP = '127.0.59.3';
const MIB = 1024 * 1024;
const OWN = reportedEntityIds();

let influx: RealInfluxd;
let setup: InfluxSetup;
let proxy: Server;
/** While true the proxy answers every request 503, as an InfluxDB that does not accept writes. */
let blocked = true;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  await buildBundles('ingestor');
  influx = await startInfluxd();
  setup = await influx.setup();
  const target = new URL(influx.url);
  proxy = createServer((req, res) => {
    if (blocked) {
      req.resume();
      req.on('end', () => res.writeHead(503, { 'content-type': 'text/plain' }).end('blocked by the test'));
      return;
    }
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
}, 600_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await new Promise((r) => proxy?.close(r));
  await influx?.dispose();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function api(path: string): Promise<string> {
  return (
    await httpRequestRaw(`http://${IP}:8325${path}`, { localAddress: ADMIN_IP, timeoutMs: 10_000 })
  ).body.toString('utf8');
}

async function metric(name: string): Promise<number> {
  const m = new RegExp(`^homeiq_${name} (\\S+)$`, 'm').exec(await api('/metrics'));
  return Number(m?.[1] ?? NaN);
}

interface Check {
  name: string;
  status: string;
  reason: string;
}

async function spoolCheck(): Promise<Check | undefined> {
  const res = await fetch(`http://${IP}:8325/health`);
  const body = (await res.json()) as { checks?: Check[] };
  return body.checks?.find((c) => c.name === 'spool');
}

/** InfluxDB timestamp (RFC 3339, up to 9 fraction digits) → ns since the epoch. */
function timeToNs(iso: string): bigint {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (!m) throw new Error(`not an InfluxDB time: ${iso}`);
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * The simulator's recorder float → ns, independently of the ingestor's conversion (which the comparison checks): the
 * simulator keeps whole microseconds, so the float's shortest decimal text has at most six fraction digits.
 */
function recorderNs(lu: number): bigint {
  const [whole = '', fraction = ''] = String(lu).split('.');
  if (!/^\d+$/.test(whole) || !/^\d{0,6}$/.test(fraction)) throw new Error(`not a whole-microsecond time: ${lu}`);
  return (BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'))) * 1000n;
}

/** Per entity, every row HA's recorder holds since `fromMs` as `ns=state`, oldest first (asked over HA's own WebSocket API). */
async function recorderRows(ha: HaSimulator, fromMs: number): Promise<Map<string, string[]>> {
  const client = await RawClient.connect(ha.wsUrl, ha.token);
  try {
    const reply = await client.command(
      {
        type: 'history/history_during_period',
        start_time: new Date(fromMs).toISOString(),
        // HomeIQ's own entities (REST-set here: no MQTT broker) are never recorded, by design.
        entity_ids: ha
          .states()
          .map((s) => s.entity_id)
          .filter((id) => !OWN.has(id)),
        include_start_time_state: false,
        significant_changes_only: false,
        minimal_response: false,
        no_attributes: true,
      },
      30_000,
    );
    const result = reply['result'] as Record<string, Array<{ s: string; lu: number }>>;
    return new Map(Object.entries(result).map(([id, rows]) => [id, rows.map((r) => `${recorderNs(r.lu)}=${r.s}`)]));
  } finally {
    client.close();
  }
}

/** Per entity, every point InfluxDB holds (field `state`) as `ns=state`, oldest first. */
async function storedRows(): Promise<Map<string, string[]>> {
  const rows = await flux(
    influx.url,
    setup.org,
    setup.token,
    `from(bucket: "${setup.bucket}") |> range(start: 0) |> filter(fn: (r) => r._field == "state")`,
  );
  const out = new Map<string, Array<[bigint, string]>>();
  for (const r of rows) {
    const list = out.get(r['entity_id'] ?? '') ?? [];
    list.push([timeToNs(r['_time'] ?? ''), r['_value'] ?? '']);
    out.set(r['entity_id'] ?? '', list);
  }
  return new Map(
    [...out].map(([id, list]) => [
      id,
      list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([ns, v]) => `${ns}=${v}`),
    ]),
  );
}

/** Entities whose rows differ between the recorder and InfluxDB, with a short account of how. */
function differences(recorder: Map<string, string[]>, stored: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [id, want] of recorder) {
    const got = stored.get(id) ?? [];
    const missing = want.filter((w) => !got.includes(w));
    const extra = got.filter((g) => !want.includes(g));
    if (missing.length || extra.length)
      out.push(
        `${id}: recorder ${want.length}, InfluxDB ${got.length}, missing ${missing.slice(0, 3).join(' ')}, extra ${extra.slice(0, 3).join(' ')}`,
      );
  }
  return out;
}

describe("spool full (spool_max_mb 16): the states it refused are recovered from HA's recorder once it has room", () => {
  it('InfluxDB ends up holding every state HA recorded, the refill visible in health, status, metrics and log', async () => {
    const t0 = Date.now();
    const simWarnings: string[] = [];
    const ha = await startHaSimulator({ home: createEmptyHome(), warn: (m: string) => simWarnings.push(m) });
    const supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token } });
    const addon = supervisor.registerAddon({
      configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'),
      ip: IP,
      options: {
        log_level: 'info',
        target: 'external',
        flush_interval_ms: 100,
        spool_max_mb: 16,
        telemetry_interval_s: 0,
        external: {
          url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
          org: setup.org,
          bucket: setup.bucket,
          token: setup.token,
        },
      },
    });
    supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: ADMIN_IP });
    const proc = await launchRegistered({ name: 'ingestor', supervisorUrl: supervisor.url, addon });
    cleanups.push(async () => {
      await proc.stop('SIGTERM');
      await supervisor.stop();
      await ha.stop();
      await rm(proc.dataDir, { recursive: true, force: true });
    });
    const subscriptions = (): number =>
      ha.received.filter((m) => (m.msg as { event_type?: string }).event_type === 'state_changed').length;
    await until('the state_changed subscription', () => subscriptions() > 0, {
      ms: 30_000,
      everyMs: 50,
      context: () => tailOf(proc),
    });

    // 1. InfluxDB answers 503: fill the spool to 15 MiB with 8 KB states (paced, so HA never cuts the ingestor off).
    let i = 0;
    for (let n = 0; (await metric('spool_bytes')) < 15 * MIB; n += 1) {
      if (n > 600) throw new Error('the spool never held 15 MiB (120 MB of states sent)');
      for (let k = 0; k < 25; k += 1, i += 1)
        ha.setState(`sensor.fill_${i % 10}`, String(i), { pad: `${i}:`.padEnd(8000, 'x') });
      await sleep(30);
    }
    // More than the refill's 2 s overlap passes before the spool is full, so the refill does not write this filler again.
    await sleep(2500);

    // 2. Top it up with 2 KB states until it is full and refuses points.
    for (let n = 0; (await metric('spool_full')) !== 1; n += 1) {
      if (n > 1000) throw new Error('the spool never became full');
      for (let k = 0; k < 10; k += 1, i += 1)
        ha.setState('sensor.topup', String(i), { pad: `${i}:`.padEnd(2000, 'y') });
      await sleep(20);
    }

    // 3. While it is full: state changes (small and large, new entities too) that the spool refuses.
    for (let k = 0; k < 40; k += 1) {
      ha.setState(`sensor.full_${k % 5}`, String(1000 + k), { unit_of_measurement: 'W', step: k });
      if (k % 10 === 0) ha.setState(`sensor.fill_${k % 10}`, `full-${k}`, { pad: `full ${k}`.padEnd(8000, 'z') });
      if (k % 4 === 0) ha.setState('binary_sensor.door', k % 8 === 0 ? 'on' : 'off');
      if (k === 20) {
        // The socket drops while the spool is full: these changes reach the ingestor only through the get_states
        // snapshot and the gap backfill of the reconnect, which the spool refuses too; they are recovered all the same.
        const before = subscriptions();
        const refusedBefore = await metric('points_refused_total');
        ha.dropConnections();
        for (let d = 0; d < 5; d += 1) ha.setState(`sensor.offline_${d}`, String(d), { unit_of_measurement: 'W' });
        ha.setState('sensor.full_0', 'offline');
        await until('the ingestor to reconnect', () => subscriptions() > before, {
          ms: 30_000,
          everyMs: 50,
          context: () => tailOf(proc),
        });
        await until(
          "the reconnect's snapshot refused",
          async () => (await metric('points_refused_total')) >= refusedBefore + 6,
          { ms: 10_000, everyMs: 50, context: () => tailOf(proc) },
        );
      }
      await sleep(5);
    }
    await sleep(300);
    const refused = await metric('points_refused_total');
    expect(refused, 'points refused while the spool was full').toBeGreaterThanOrEqual(40);
    expect((await spoolCheck())?.status).toBe('red');
    const full = Date.now();

    // 4. InfluxDB accepts writes again: the spool drains, and what it refused comes back from HA's recorder.
    const seen: Check[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const c = await spoolCheck().catch(() => undefined);
        if (c && (seen.length === 0 || seen.at(-1)?.status !== c.status)) seen.push(c);
        await sleep(200);
      }
    })();
    blocked = false;
    let diff: string[] = [];
    try {
      await until(
        'every recorded state in InfluxDB',
        async () => {
          diff = differences(await recorderRows(ha, t0 - 60_000), await storedRows());
          return diff.length === 0;
        },
        { ms: 60_000, everyMs: 50, context: () => tailOf(proc) },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- recorder vs InfluxDB ---\n${diff.join('\n')}`);
    } finally {
      watching = false;
      await watcher;
    }
    const recovered = Date.now();
    const recorder = await recorderRows(ha, t0 - 60_000);
    const stored = await storedRows();
    expect(differences(recorder, stored)).toEqual([]);
    // Every entity, every change: count, values and timestamps to the nanosecond.
    for (const [id, rows] of recorder) expect(stored.get(id), id).toEqual(rows);
    expect([...recorder.values()].reduce((n, r) => n + r.length, 0)).toBe(i + 40 + 4 + 10 + 6);

    // Visible: amber while pending/running (red only while full), green once done; status, metrics and log.
    expect(
      seen.map((c) => c.status),
      JSON.stringify(seen),
    ).toContain('amber');
    expect(seen.find((c) => c.status === 'amber')?.reason).toMatch(
      /recovering states refused while the spool was full \(from HA's recorder\)/,
    );
    await until('the refill done', async () => (await spoolCheck())?.status === 'green', {
      ms: 10_000,
      everyMs: 50,
      context: () => tailOf(proc),
    });
    const status = JSON.parse(await api('/api/status')) as {
      backfill: { refill: { state: string; pending: unknown[]; recovered: number } };
    };
    expect(status.backfill.refill).toMatchObject({ state: 'idle', pending: [] });
    expect(status.backfill.refill.recovered).toBeGreaterThanOrEqual(54);
    expect(await metric('points_recovered_total')).toBe(status.backfill.refill.recovered);
    expect(await metric('refill_pending_ranges')).toBe(0);
    expect(
      proc.lines.some((l) => /INFO .*recovering states refused while the spool was full/.test(l)),
      proc.lines.join('\n'),
    ).toBe(true);
    expect(
      proc.lines.some((l) =>
        /INFO .*recovered states refused while the spool was full: \d+ states written from HA's recorder/.test(l),
      ),
    ).toBe(true);
    expect(simWarnings).toEqual([]);
    console.log(
      `spool refill e2e: ${i} states to fill, ${refused} refused; full after ${full - t0} ms, everything in InfluxDB ${recovered - full} ms after unblocking; ${Date.now() - t0} ms in all\n` +
        proc.lines.filter((l) => /\[(spool|backfill)\]/.test(l)).join('\n'),
    );
  }, 110_000);
});
