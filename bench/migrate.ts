// Migration bench: InfluxDB 1.8 (the community add-on's release, a real one from dev/peers) → the HomeIQ layout in a
// real influxd, against writing the very same points straight into that influxd.
//
// 1. Source: `--points` (default 1,000,000) points of HA's schema written into the 1.x database `home_assistant`, as
//    HA's influxdb integration writes them (HomeIQ's ha_compatible encoder), from realistic states (the ingest
//    bench's generator) spread over 30 days of January 2026.
// 2. Raw: the points read back and encoded into exactly the lines the migration writes (untimed), batched as the
//    ingestor's writer batches (5000 lines / 1 MiB) and gzipped (untimed); then POSTed one after the other over one
//    keep-alive connection into a fresh bucket (timed): `rawWritePointsPerSec`.
//    Before it and before the migration, the peers are left to finish compacting what was written (at most 2 min).
// 3. Migration: the built ingestor bundle (default options, target external to the same influxd, its Core the HA
//    simulator) migrates the database through its `/api/migration` API, from the POST to the state `done` (every
//    point confirmed by InfluxDB): `migratePointsPerSec`. Meanwhile the simulator changes `--live-rate` states/s
//    (default 100) and the latency of each (HA event → queryable in InfluxDB, e2e.ts's method) gives `liveP99Ms`;
//    the same live load alone for 20 s just before gives `liveAloneP99Ms`, what this machine does without a migration.
//
//   npm run bench -- migrate [--points 1000000] [--live-rate 100] [--trace]
// `--trace` prints the migration's status every 3 s (with how long the ingestor took to answer it), each latency poll
// slower than a second, and the ingestor's warnings and errors at the end. `cpuSeconds` in the result: the CPU time
// of influxd over the raw write, and of the ingestor, the source and influxd over the live load alone and over the
// migration.
import { httpRequestRaw } from '@homeiq/shared';
import type { MigrationStatus } from '@homeiq/shared/contracts';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseFrame } from '../homeiq-ingestor/src/ha/messages.js';
import { InfluxqlSource } from '../homeiq-ingestor/src/migrate/influxql-source.js';
import { WindowWriter } from '../homeiq-ingestor/src/migrate/window-writer.js';
import { WindowSizer } from '../homeiq-ingestor/src/migrate/windows.js';
import { encodeHaCompatible } from '../homeiq-ingestor/src/points/ha-compatible.js';
import type { HaState } from '../homeiq-ingestor/src/points/state-model.js';
import { createEmptyHome, startHaSimulator } from '../dev/ha-sim/index.js';
import { buildBundles, REPO_ROOT, startAddon } from '../dev/addon-process.js';
import { startInfluxd } from '../dev/peers/influxd.js';
import { startInfluxdb1, type RealInfluxdb1 } from '../dev/peers/influxdb1.js';
import { startSupervisorEmulator } from '../dev/supervisor/index.js';
import { until } from '../dev/until.js';
import { latencyPart, rawWrite } from './e2e.js';
import { makeFrames } from './ingest.js';
import { readProc } from './proc-stats.js';

const IP = { ingestor: '127.0.58.1', admin: '127.0.58.3' };
const GOALS = { ratio: 0.5, liveP99Ms: 1500 };
const DATABASE = 'home_assistant';
const BATCH_LINES = 5000;
const BATCH_BYTES = 1024 * 1024;
/** Seconds of live load alone before the migration (the machine's own latency). */
const BASELINE_S = 20;
const say = (m: string): void => console.log(`[migrate] ${m}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round1 = (n: number): number => Math.round(n * 10) / 10;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** `n` points of HA's schema into the 1.x database, 5000 lines a request. */
async function writeSource(v1: RealInfluxdb1, n: number): Promise<number> {
  const pool: HaState[] = [];
  for (const f of makeFrames(4000, 12, 7).frames)
    for (const m of parseFrame(f) ?? [])
      if (m.type === 'event') {
        const s = (m.event.data as { new_state?: HaState }).new_state;
        if (s) pool.push(s);
      }
  const opts = { maxStringLength: 16_384, excludeAttributes: new Set<string>(), layout: 'ha_compatible' as const };
  const startUs = Date.parse('2026-01-01T00:00:00Z') * 1000;
  const spanUs = 30 * 86_400e6;
  let lines: string[] = [];
  let written = 0;
  for (let i = 0; written + lines.length < n; i += 1) {
    const us = startUs + Math.floor((i * spanUs) / n) + (i % 997);
    const iso = new Date(us / 1000).toISOString().replace('Z', `${String(us % 1000).padStart(3, '0')}+00:00`);
    const s = pool[i % pool.length] as HaState;
    const line = encodeHaCompatible({ ...s, last_updated: iso }, iso, opts).line;
    if (line === undefined) continue; // unknown/unavailable: HA's integration skips them too
    lines.push(line);
    if (lines.length === BATCH_LINES) {
      await v1.write(DATABASE, lines.join('\n'));
      written += lines.length;
      lines = [];
    }
  }
  if (lines.length > 0) await v1.write(DATABASE, lines.join('\n'));
  return written + lines.length;
}

/** The migration's lines for every point of the source, batched and gzipped as the ingestor's writer does. */
async function encodeRaw(v1: RealInfluxdb1): Promise<{ bodies: Buffer[]; lines: number }> {
  const src = new InfluxqlSource({ kind: 'influxdb1', url: v1.url, database: DATABASE, ...v1.admin });
  const survey = await src.survey();
  const writer = new WindowWriter({
    encode: { maxStringLength: 16_384, excludeAttributes: new Set(), layout: 'homeiq' },
    accepts: () => true,
  });
  const sizer = new WindowSizer(3_600_000_000_000n, 20_000);
  const bodies: Buffer[] = [];
  let pending: string[] = [];
  let bytes = 0;
  let lines = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    bodies.push(gzipSync(`${pending.join('\n')}\n`, { level: 3 }));
    pending = [];
    bytes = 0;
  };
  const to = (survey.lastNs ?? 0n) + 1n;
  for (let c = survey.firstNs ?? to; c < to; ) {
    const end = sizer.end(c, to, survey.shards);
    const points = await src.read(c, end, { entities: undefined }, survey);
    sizer.observed(points.length, end - c);
    const out = await writer.write(
      points,
      undefined,
      async () => undefined,
      () => true,
    );
    for (const l of out?.batch.lines() ?? []) {
      if (pending.length === BATCH_LINES || bytes + l.length + 1 > BATCH_BYTES) flush();
      pending.push(l);
      bytes += Buffer.byteLength(l) + 1;
      lines += 1;
    }
    c = end;
  }
  flush();
  return { bodies, lines };
}

/** CPU seconds (user + system) used so far by process `pid`; 0 once it is gone. */
async function pidCpuSeconds(pid: number): Promise<number> {
  return ((await readProc(pid))?.cpuMs ?? 0) / 1000;
}

/** CPU seconds used so far by the processes whose command line names `dir` (a peer's data dir). */
async function cpuSeconds(dir: string): Promise<number> {
  let total = 0;
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) total += await pidCpuSeconds(Number(pid));
  }
  return total;
}

/**
 * Waits until the peers in `dirs` are idle (under a tenth of a core over two seconds: their compactions of what
 * was just written are done), at most two minutes, so a timed phase does not pay for the one before it.
 */
async function settle(dirs: string[]): Promise<number> {
  const t0 = Date.now();
  for (let before = await Promise.all(dirs.map(cpuSeconds)); Date.now() - t0 < 120_000; ) {
    await sleep(2000);
    const now = await Promise.all(dirs.map(cpuSeconds));
    const busy = now.reduce((n, c, i) => n + c - (before[i] ?? 0), 0) / 2;
    before = now;
    if (busy < 0.1) break;
  }
  return Math.round((Date.now() - t0) / 1000);
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await httpRequestRaw(`http://${IP.ingestor}:8325${path}`, {
    method,
    localAddress: IP.admin,
    timeoutMs: 300_000,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  return { status: res.status, body: JSON.parse(res.body.toString('utf8')) as T };
}

export async function run(): Promise<void> {
  const n = arg('points', 1_000_000);
  const liveRate = arg('live-rate', 100);
  const trace = process.argv.includes('--trace');
  let tracedAt = 0;
  say('starting InfluxDB 1.8 (the source) and influxd (HomeIQ); building the ingestor bundle');
  const [v1, influx] = await Promise.all([
    startInfluxdb1({ release: '1.8' }),
    startInfluxd(),
    buildBundles('ingestor'),
  ]);
  const ha = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
  const emulator = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token } });
  let ingestorDir: string | undefined;
  let stopIngestor = async (): Promise<void> => undefined;
  try {
    const setup = await influx.setup();
    await v1.createDatabase(DATABASE);
    let t = performance.now();
    const points = await writeSource(v1, n);
    say(
      `source: ${points} points of HA's schema written into InfluxDB ${v1.version} in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    t = performance.now();
    const raw = await encodeRaw(v1);
    say(
      `raw: ${raw.lines} lines encoded into ${raw.bodies.length} gzipped batches in ${((performance.now() - t) / 1000).toFixed(1)} s (untimed)`,
    );
    const res = await fetch(`${influx.url}/api/v2/buckets`, {
      method: 'POST',
      headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ orgID: setup.orgId, name: 'bench_raw', retentionRules: [] }),
    });
    if (res.status !== 201) throw new Error(`create bucket: ${res.status}`);
    say(`settling: ${await settle([v1.dataDir, influx.dataDir])} s until InfluxDB 1.8 and influxd were idle`);
    const rawCpu0 = await cpuSeconds(influx.dataDir);
    const rawSeconds = await rawWrite(influx, setup, 'bench_raw', raw.bodies);
    const rawCpu = { influxd: round1((await cpuSeconds(influx.dataDir)) - rawCpu0) };
    const rawRate = raw.lines / rawSeconds;
    say(`raw: ${Math.round(rawRate)} points/s (${rawSeconds.toFixed(1)} s)`);
    // influxd compacts what the raw writer wrote: done before the live baseline and the timed migration.
    say(`settling: ${await settle([v1.dataDir, influx.dataDir])} s until InfluxDB 1.8 and influxd were idle`);

    const reg = emulator.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'), ip: IP.ingestor });
    emulator.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: IP.admin });
    const ingestor = await startAddon({
      name: 'ingestor',
      options: {
        log_level: 'info',
        event_types: [],
        target: 'external',
        external: { url: influx.url, org: setup.org, bucket: setup.bucket, token: setup.token },
      },
      env: reg.env(),
    });
    ingestorDir = ingestor.dataDir;
    stopIngestor = async () => void (await ingestor.stop('SIGTERM'));
    await ingestor.waitForLine(/ INFO {2}started$/, 60_000);
    await until(
      'the ingestor subscribed to events',
      () => ha.received.some((r) => (r.msg as { type?: string }).type === 'subscribe_events'),
      { ms: 30_000, everyMs: 50 },
    );
    await sleep(2000);

    // The same live load alone first: what the latency is on this machine without a migration.
    // CPU seconds of each process (ingestor, source, influxd) over a phase: where its time goes on this machine.
    const cpuNow = (): Promise<number[]> =>
      Promise.all([pidCpuSeconds(ingestor.child.pid ?? 0), cpuSeconds(v1.dataDir), cpuSeconds(influx.dataDir)]);
    const cpuSince = async (from: number[]): Promise<{ ingestor: number; source: number; influxd: number }> => {
      const [ingestorCpu = 0, sourceCpu = 0, influxdCpu = 0] = (await cpuNow()).map((c, i) =>
        round1(c - (from[i] ?? 0)),
      );
      return { ingestor: ingestorCpu, source: sourceCpu, influxd: influxdCpu };
    };
    const aloneCpu0 = await cpuNow();
    const baseline = await latencyPart(influx, setup, ha, liveRate, BASELINE_S);
    const aloneCpu = await cpuSince(aloneCpu0);
    say(`live alone: p50 ${baseline.p50Ms} ms, p99 ${baseline.p99Ms} ms over ${baseline.measured} events`);
    say(`migration: ${points} points through the ingestor's API, ${liveRate} live state changes/s meanwhile`);
    const cpu0 = await cpuNow();
    const t0 = performance.now();
    const started = await api<MigrationStatus & { error?: string }>('POST', '/api/migration', {
      source: { kind: 'influxdb1', url: v1.url, database: DATABASE, ...v1.admin },
    });
    if (started.status !== 202) throw new Error(`the migration did not start: ${started.body.error}`);
    const done = until(
      'the migration to finish',
      async () => {
        const s = (await api<MigrationStatus>('GET', '/api/migration')).body;
        if (trace && Date.now() - tracedAt >= 3000) {
          tracedAt = Date.now();
          const { state, waitingFor, pacedTo, pointsPerSecond, queueBytes, progress } = s;
          // statusMs: how long the ingestor took to answer (its event loop's delay, mostly).
          const t1 = performance.now();
          const live = (await api<{ writer: { lastBatchMs?: number }; spool: { bytes: number } }>('GET', '/api/status'))
            .body;
          const statusMs = Math.round(performance.now() - t1);
          const at = Math.round((performance.now() - t0) / 1000);
          say(
            `status t=${at}s ${JSON.stringify({ state, waitingFor, pacedTo, pointsPerSecond, queueBytes, progress, liveBatchMs: live.writer.lastBatchMs, liveSpoolBytes: live.spool.bytes, statusMs })}`,
          );
        }
        return s;
      },
      {
        ok: (s) => s.state === 'done' || s.state === 'failed',
        ms: 60 * 60_000,
        everyMs: 100,
      },
    );
    const [live, final] = await Promise.all([
      latencyPart(
        influx,
        setup,
        ha,
        liveRate,
        done,
        trace
          ? (ms) => say(`slow latency poll: ${ms} ms, ending at t=${Math.round((performance.now() - t0) / 1000)}s`)
          : undefined,
      ),
      done,
    ]);
    const migrateSeconds = (performance.now() - t0) / 1000;
    const migrateCpu = await cpuSince(cpu0);
    if (trace)
      for (const l of ingestor.lines.filter((x) => / (WARN|ERROR|FATAL) /.test(x)).slice(-30)) say(`ingestor: ${l}`);
    if (final.state !== 'done') throw new Error(`the migration failed: ${final.lastError}`);
    const migrateRate = final.counts.written / migrateSeconds;
    const ratio = migrateRate / rawRate;
    say(
      `migration: ${Math.round(migrateRate)} points/s (${migrateSeconds.toFixed(1)} s) vs raw ${Math.round(rawRate)}: ratio ${ratio.toFixed(3)}`,
    );
    say(
      `live while migrating: p50 ${live.p50Ms} ms, p99 ${live.p99Ms} ms over ${live.measured} events (${live.missing} missing)`,
    );
    console.log(
      JSON.stringify({
        bench: 'migrate',
        source: `InfluxDB ${v1.version}`,
        points: final.counts.written,
        migrateSeconds: Number(migrateSeconds.toFixed(2)),
        rawSeconds: Number(rawSeconds.toFixed(2)),
        migratePointsPerSec: Math.round(migrateRate),
        rawWritePointsPerSec: Math.round(rawRate),
        ratio: Number(ratio.toFixed(3)),
        liveP99Ms: live.p99Ms,
        live: { ratePerSec: liveRate, ...live },
        liveAloneP99Ms: baseline.p99Ms,
        cpuSeconds: { raw: rawCpu, liveAlone: aloneCpu, migrate: migrateCpu },
        liveAlone: { seconds: BASELINE_S, ...baseline },
        counts: final.counts,
        goals: GOALS,
        meets: { ratio: ratio >= GOALS.ratio, liveP99Ms: live.p99Ms <= GOALS.liveP99Ms },
        ingestorOptions: 'defaults (batch_size 5000, batch_max_kib 1024, flush_interval_ms 1000)',
        node: process.version,
      }),
    );
  } finally {
    await stopIngestor();
    await emulator.stop();
    await ha.stop();
    await Promise.all([v1.dispose(), influx.dispose()]);
    if (ingestorDir) await rm(ingestorDir, { recursive: true, force: true });
  }
}
