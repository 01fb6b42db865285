// End-to-end bench against the real influxd (built from source), three parts:
//
// 1. Latency: the HA simulator changes `--rate` states/s (default 1000) for `--seconds` (default 30); the built
//    ingestor bundle receives them through the Supervisor emulator's Core WebSocket proxy with its default options
//    (batch 5000 lines / 1 MiB, flush 1 s) and writes to influxd. A poller queries influxd every 100 ms (Flux,
//    from the newest _time seen minus 3 s) and notes, for each event (entity_id + last_updated, exact), the wall
//    time the query *response* arrived. Latency = that time − the wall time the bench called setState (which is
//    also HA's last_updated). This is an upper bound: the true visibility time lies between the previous poll's
//    response and this one's, so the error is ≤ one poll interval + one query duration (both reported). Events the
//    poller missed (outside its window) are looked up at the end and counted separately (`lateFound`).
// 2. Outage: influxd stopped (SIGINT), the same rate for `--outage-minutes` (default 10); the ingestor's RSS (from
//    /proc/<pid>/status) is sampled every 5 s; reports first/max/last and the slope of the second half. Then
//    influxd comes back and the time for the bundle to drain its spool is measured.
// 3. Replay: `--replay-events` realistic points durably in a Spool, then the ingestor's InfluxWriter (in this
//    process) sends them to a fresh bucket; versus a raw writer POSTing the same lines, pre-batched identically
//    and pre-gzipped, sequentially over one keep-alive connection, into another fresh bucket of the same influxd.
//
//   npm run bench -- -- e2e [--rate 1000] [--seconds 30] [--outage-minutes 10] [--replay-events 130000]
//                           [--parts latency,outage,replay] [--heap-snapshots] [--memory-usage]
//                           [--batch-lines 5000] [--batch-kib 1024] [--in-flight 2]   (replay part only; 2 = main.ts)
// `--parts` runs only the named parts (e.g. `--parts replay` for the replay ratio alone). `--heap-snapshots`
// starts the ingestor with --heapsnapshot-signal=SIGUSR2 and writes a snapshot into its data dir's parent at the
// start, middle and end of the outage (for finding what grows; taking one inflates RSS, so don't read RSS then).
// `--memory-usage` preloads a module into the ingestor that prints process.memoryUsage() every 5 s, and adds
// heapTotal/heapUsed/external (MiB) to each sample: is what grows the V8 heap or memory outside it?
import { createLogger, Health, LogSecrets } from '@homeiq/shared';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isoToNs } from '../homeiq-ingestor/src/points/line-protocol.js';
import { parseFrame } from '../homeiq-ingestor/src/ha/messages.js';
import { Quarantine } from '../homeiq-ingestor/src/influx/quarantine.js';
import { InfluxSender } from '../homeiq-ingestor/src/influx/send.js';
import { InfluxWriter } from '../homeiq-ingestor/src/influx/writer.js';
import { EventEncoder } from '../homeiq-ingestor/src/points/event-encoder.js';
import { EntityFilter } from '../homeiq-ingestor/src/points/filter.js';
import { Spool } from '../homeiq-ingestor/src/spool/spool.js';
import { createEmptyHome, startHaSimulator, type HaSimulator } from '../dev/ha-sim/index.js';
import { buildBundles, REPO_ROOT, startAddon, type AddonProcess } from '../dev/addon-process.js';
import { flux } from '../dev/influx-query.js';
import { ingestorStatus } from '../dev/ingestor-status.js';
import { startInfluxd, type InfluxSetup, type RealInfluxd } from '../dev/peers/influxd.js';
import { startSupervisorEmulator } from '../dev/supervisor/index.js';
import { until } from '../dev/until.js';
import { makeFrames } from './ingest.js';
import { lastMemoryLine, memoryProbeFlag } from './memory-probe.js';

const IP = { ingestor: '127.0.57.1', admin: '127.0.57.3' };
const GOALS = { p99Ms: 1500, replayRatio: 0.8 };
const POLL_MS = 100;

async function nodeOptions(heapDir: string | undefined): Promise<Record<string, string>> {
  const o = heapDir ? [`--heapsnapshot-signal=SIGUSR2`, `--diagnostic-dir=${heapDir}`] : [];
  if (process.argv.includes('--memory-usage')) o.push(await memoryProbeFlag());
  return o.length > 0 ? { NODE_OPTIONS: o.join(' ') } : {};
}
function parts(): Set<string> {
  const i = process.argv.indexOf('--parts');
  return new Set(i > 0 ? (process.argv[i + 1] ?? '').split(',') : ['latency', 'outage', 'replay']);
}
function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
const say = (m: string): void => console.log(`[e2e] ${m}`);

/** Changes `rate` states/s over 200 sensors until stopped; `onSet(key, wallMs)` for each. */
function drive(
  ha: HaSimulator,
  prefix: string,
  rate: number,
  onSet?: (key: string, at: number) => void,
): { stop(): number } {
  const t0 = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) * rate) / 1000);
    for (; sent < due; sent += 1) {
      const entity = `sensor.${prefix}_${sent % 200}`;
      const at = Date.now();
      ha.setState(entity, String(sent), {
        unit_of_measurement: 'W',
        device_class: 'power',
        friendly_name: `Bench ${sent % 200}`,
      });
      if (onSet) {
        const s = ha.states().find((x) => x.entity_id === entity) as { last_updated: string };
        onSet(`${entity}@${isoToNs(s.last_updated)}`, at);
      }
    }
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return sent;
    },
  };
}

async function rssKiB(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

const status = () =>
  ingestorStatus<{ spool: { bytes: number; committed: number }; writer: { written: number } }>(IP.ingestor, IP.admin);

/**
 * HA event → queryable in InfluxDB: `rate` events/s for `during` seconds, or until `during` settles (the
 * migrate bench measures it while a migration runs). Exported for bench/migrate.ts.
 */
export async function latencyPart(
  influx: RealInfluxd,
  setup: InfluxSetup,
  ha: HaSimulator,
  rate: number,
  during: number | Promise<unknown>,
  /** Told of each poll slower than a second (the migrate bench's --trace). */
  onSlowPoll?: (ms: number) => void,
) {
  const setAt = new Map<string, number>();
  const latencies: number[] = [];
  let watermarkNs = BigInt(Date.now() - 5000) * 1_000_000n;
  let polling = true;
  let polls = 0;
  let queryMsTotal = 0;
  let queryMsMax = 0;
  let queryErrors = 0;
  let lastQueryError: string | undefined;
  const q = (startNs: bigint): string =>
    // A regular expression on the tag is pushed down to the storage engine (strings.hasPrefix is not): the poll
    // reads only the bench's series, however many others the bucket holds (the migrate bench fills it meanwhile).
    `from(bucket: "${setup.bucket}") |> range(start: time(v: ${startNs})) |> filter(fn: (r) => r._measurement == "sensor" and r._field == "value" and r.entity_id =~ /^sensor\\.lat_/) |> keep(columns: ["_time", "entity_id"])`;
  const poller = (async () => {
    while (polling) {
      const t0 = performance.now();
      let rows: Array<Record<string, string>>;
      try {
        rows = await flux(influx.url, setup.org, setup.token, q(watermarkNs - 3_000_000_000n));
      } catch (err) {
        // A poll that fails (influxd busy, a connection refused) is counted and polled again; it is not the bench's end.
        queryErrors += 1;
        lastQueryError = (err as Error).message;
        await sleep(POLL_MS);
        continue;
      }
      const now = Date.now();
      const qms = performance.now() - t0;
      polls += 1;
      queryMsTotal += qms;
      queryMsMax = Math.max(queryMsMax, qms);
      if (qms > 1000) onSlowPoll?.(Math.round(qms));
      let maxNs = watermarkNs;
      for (const r of rows) {
        const ns = BigInt(isoToNs(r['_time'] ?? '') ?? '0');
        const key = `${r['entity_id']}@${ns}`;
        const at = setAt.get(key);
        if (at !== undefined) {
          latencies.push(now - at);
          setAt.delete(key);
        }
        if (ns > maxNs) maxNs = ns;
      }
      watermarkNs = maxNs;
      await sleep(Math.max(0, POLL_MS - (performance.now() - t0)));
    }
  })();
  say(`latency: ${rate} events/s ${typeof during === 'number' ? `for ${during} s` : 'meanwhile'}`);
  const d = drive(ha, 'lat', rate, (k, at) => setAt.set(k, at));
  await (typeof during === 'number' ? sleep(during * 1000) : during.catch(() => undefined));
  const sent = d.stop();
  const end = Date.now() + 30_000;
  while (setAt.size > 0 && Date.now() < end) await sleep(100);
  polling = false;
  await poller;
  // Anything the poller's window missed: is it there at all?
  let lateFound = 0;
  if (setAt.size > 0) {
    const rows = await flux(influx.url, setup.org, setup.token, q(BigInt(Date.now() - 3_600_000) * 1_000_000n));
    for (const r of rows) if (setAt.delete(`${r['entity_id']}@${isoToNs(r['_time'] ?? '')}`)) lateFound += 1;
  }
  latencies.sort((a, b) => a - b);
  return {
    sent,
    measured: latencies.length,
    lateFound,
    missing: setAt.size,
    p50Ms: pct(latencies, 0.5),
    p90Ms: pct(latencies, 0.9),
    p99Ms: pct(latencies, 0.99),
    maxMs: latencies.at(-1) ?? NaN,
    polls,
    pollIntervalMs: POLL_MS,
    queryMsMean: Math.round(queryMsTotal / Math.max(1, polls)),
    queryMsMax: Math.round(queryMsMax),
    queryErrors,
    ...(lastQueryError ? { lastQueryError } : {}),
  };
}

async function outagePart(
  influx: RealInfluxd,
  ha: HaSimulator,
  ingestor: AddonProcess,
  rate: number,
  minutes: number,
  heapSnapshots = false,
) {
  const pid = ingestor.child.pid as number;
  await influx.stop();
  say(`outage: influxd stopped; ${rate} events/s for ${minutes} min; sampling the ingestor's RSS every 5 s`);
  type Mem = { heapTotal: number; heapUsed: number; external: number };
  const samples: Array<{ s: number; rssMiB: number; spoolMiB: number; mem?: Mem }> = [];
  /** With --memory-usage: the ingestor's last process.memoryUsage() line, in MiB. */
  const memory = (): Mem | undefined => {
    const m = lastMemoryLine(ingestor.lines);
    const mib = (n: number): number => Math.round(n / 104857.6) / 10;
    return m && { heapTotal: mib(m.heapTotal), heapUsed: mib(m.heapUsed), external: mib(m.external) };
  };
  const t0 = Date.now();
  const d = drive(ha, 'outage', rate);
  const snapAt = heapSnapshots ? [15, Math.round((minutes * 60) / 2), minutes * 60 - 5] : [];
  while (Date.now() - t0 < minutes * 60_000) {
    await sleep(5000);
    if (snapAt.length > 0 && (Date.now() - t0) / 1000 >= (snapAt[0] as number)) {
      snapAt.shift();
      process.kill(pid, 'SIGUSR2');
      say(`  heap snapshot requested at t=${Math.round((Date.now() - t0) / 1000)}s`);
    }
    const st = await status();
    const mem = memory();
    samples.push({
      s: Math.round((Date.now() - t0) / 1000),
      rssMiB: Math.round((await rssKiB(pid)) / 102.4) / 10,
      spoolMiB: Math.round(st.spool.bytes / 104857.6) / 10,
      ...(mem ? { mem } : {}),
    });
    const last = samples.at(-1);
    if (samples.length % 12 === 0 && last)
      say(
        `  t=${last.s}s rss=${last.rssMiB} MiB spool=${last.spoolMiB} MiB${last.mem ? ` ${JSON.stringify(last.mem)}` : ''}`,
      );
  }
  const sent = d.stop();
  await sleep(1000);
  const spooled = await status();
  const half = samples.slice(Math.floor(samples.length / 2));
  // Least-squares slope of RSS over the second half, MiB per minute.
  const mx = half.reduce((n, x) => n + x.s, 0) / half.length;
  const my = half.reduce((n, x) => n + x.rssMiB, 0) / half.length;
  const slope =
    half.reduce((n, x) => n + (x.s - mx) * (x.rssMiB - my), 0) /
    Math.max(
      1e-9,
      half.reduce((n, x) => n + (x.s - mx) ** 2, 0),
    );
  await influx.start();
  // The writer retries on its backoff (up to 60 s), so the first write after the restart is timed apart from the drain.
  const tBack = performance.now();
  const written0 = (await status()).writer.written;
  await until('the first write after InfluxDB is back', async () => (await status()).writer.written !== written0, {
    ms: 120_000,
    everyMs: 20,
  });
  const firstWriteAfterRestartS = (performance.now() - tBack) / 1000;
  const written1 = (await status()).writer.written;
  const tDrain = performance.now();
  await until('the spool drained', async () => (await status()).spool.bytes === 0, { ms: 30 * 60_000, everyMs: 50 });
  const drainS = (performance.now() - tDrain) / 1000;
  const drained = (await status()).writer.written - written1;
  return {
    minutes,
    eventsDuringOutage: sent,
    spoolMiBAtEnd: Math.round(spooled.spool.bytes / 104857.6) / 10,
    rssMiBFirst: samples[0]?.rssMiB,
    rssMiBMax: Math.max(...samples.map((x) => x.rssMiB)),
    rssMiBLast: samples.at(-1)?.rssMiB,
    rssSlopeSecondHalfMiBPerMin: Number((slope * 60).toFixed(3)),
    rssMiBSeries: samples.filter((_, i) => i % 6 === 5).map((x) => x.rssMiB),
    ...(samples.some((x) => x.mem) ? { memSeries: samples.filter((_, i) => i % 6 === 5).map((x) => x.mem) } : {}),
    samples: samples.length,
    firstWriteAfterRestartSeconds: Number(firstWriteAfterRestartS.toFixed(2)),
    drainSeconds: Number(drainS.toFixed(2)),
    drainPointsPerSec: Math.round(drained / drainS),
  };
}

/**
 * The raw writer the replay and migrate benches compare with: pre-gzipped bodies POSTed one after the other over
 * one keep-alive connection into `bucket`; resolves with the seconds it took. Exported for bench/migrate.ts.
 */
export async function rawWrite(
  influx: RealInfluxd,
  setup: InfluxSetup,
  bucket: string,
  bodies: Buffer[],
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const u = `${influx.url}/api/v2/write?org=${encodeURIComponent(setup.org)}&bucket=${encodeURIComponent(bucket)}&precision=ns`;
  const post = (body: Buffer): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        u,
        {
          method: 'POST',
          agent,
          headers: {
            Authorization: `Token ${setup.token}`,
            'Content-Encoding': 'gzip',
            'Content-Type': 'text/plain; charset=utf-8',
            'Content-Length': String(body.length),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const t0 = performance.now();
  try {
    for (const b of bodies) {
      const status = await post(b);
      if (status !== 204) throw new Error(`raw write answered ${status}`);
    }
    return (performance.now() - t0) / 1000;
  } finally {
    agent.destroy();
  }
}

async function replayPart(influx: RealInfluxd, setup: InfluxSetup, events: number) {
  const log = createLogger({ level: 'warning', name: 'bench', secrets: new LogSecrets() });
  const encoder = new EventEncoder(
    { maxStringLength: 16_384, excludeAttributes: new Set(), layout: 'homeiq' },
    new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] }),
    () => undefined,
  );
  const { frames } = makeFrames(Math.ceil(events / 6.5), 12, 7);
  const lines: string[] = [];
  for (const f of frames)
    for (const m of parseFrame(f) ?? [])
      if (m.type === 'event') {
        const l = encoder.encode(m.event);
        if (l) lines.push(l);
      }
  const mkBucket = async (name: string): Promise<void> => {
    const res = await fetch(`${influx.url}/api/v2/buckets`, {
      method: 'POST',
      headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ orgID: setup.orgId, name, retentionRules: [] }),
    });
    if (res.status !== 201) throw new Error(`create bucket ${name}: ${res.status} ${await res.text()}`);
  };
  await mkBucket('bench_raw');
  await mkBucket('bench_replay');

  // The batches the writer would form (default 5000 lines / 1 MiB, the add-on's defaults), pre-gzipped.
  const batchLines = arg('batch-lines', 5000);
  const batchBytes = arg('batch-kib', 1024) * 1024;
  const bodies: Buffer[] = [];
  for (let i = 0; i < lines.length; ) {
    let n = 0;
    let bytes = 0;
    while (i + n < lines.length && n < batchLines && bytes + (lines[i + n] as string).length + 1 <= batchBytes)
      bytes += (lines[i + n++] as string).length + 1;
    bodies.push(gzipSync(`${lines.slice(i, i + n).join('\n')}\n`));
    i += n;
  }
  say(`replay: ${lines.length} points (${bodies.length} batches); raw pre-encoded writer first`);
  const rawS = await rawWrite(influx, setup, 'bench_raw', bodies);

  const dir = await mkdtemp(join(tmpdir(), 'homeiq-bench-replay-'));
  const spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 8 * 1024 ** 3, log });
  await spool.start();
  for (const l of lines) spool.append(l);
  await spool.sync();
  const health = new Health();
  const quarantine = new Quarantine({ file: join(dir, 'q.jsonl'), maxBytes: 1 << 20, log, health });
  const sender = new InfluxSender();
  const writer = new InfluxWriter({
    spool,
    sender,
    quarantine,
    health,
    log,
    target: {
      get: async () => ({ url: influx.url, org: setup.org, bucket: 'bench_replay', token: setup.token }),
      invalidate: () => undefined,
    },
    batchLines,
    batchBytes,
    flushIntervalMs: 1000,
    maxInFlight: arg('in-flight', 2),
  });
  say('replay: the ingestor writer from the spool');
  const tp = performance.now();
  await writer.start();
  await until(`the replay of ${lines.length} lines`, () => writer.stats().written >= lines.length, {
    ms: 30 * 60_000,
    everyMs: 5,
  });
  const replayS = (performance.now() - tp) / 1000;
  await writer.stop();
  await spool.stop();
  sender.close();
  await rm(dir, { recursive: true, force: true });
  const rawRate = lines.length / rawS;
  const replayRate = lines.length / replayS;
  return {
    points: lines.length,
    batches: bodies.length,
    batchLines,
    batchBytes,
    inFlight: arg('in-flight', 2),
    rawPointsPerSec: Math.round(rawRate),
    replayPointsPerSec: Math.round(replayRate),
    ratio: Number((replayRate / rawRate).toFixed(3)),
    requests: writer.stats().requests,
  };
}

export async function run(): Promise<void> {
  const rate = arg('rate', 1000);
  const seconds = arg('seconds', 30);
  const outageMinutes = arg('outage-minutes', 10);
  const replayEvents = arg('replay-events', 130_000);
  const want = parts();
  const heapDir = process.argv.includes('--heap-snapshots')
    ? await mkdtemp(join(tmpdir(), 'homeiq-e2e-heap-'))
    : undefined;
  say('building the ingestor bundle; starting influxd, the HA simulator and the Supervisor emulator');
  const influx = await startInfluxd();
  const setup = await influx.setup();
  if (!want.has('latency') && !want.has('outage')) {
    try {
      const replay = want.has('replay') ? await replayPart(influx, setup, replayEvents) : undefined;
      if (replay)
        say(
          `replay: ${replay.replayPointsPerSec} points/s vs raw ${replay.rawPointsPerSec} points/s: ratio ${replay.ratio}`,
        );
      console.log(
        JSON.stringify({
          bench: 'e2e',
          parts: [...want],
          replay,
          goals: GOALS,
          meets: { replay: replay ? replay.ratio >= GOALS.replayRatio : undefined },
          node: process.version,
        }),
      );
    } finally {
      await influx.dispose();
    }
    return;
  }
  await buildBundles('ingestor');
  const ha = await startHaSimulator({ home: createEmptyHome(), warn: () => undefined });
  const emulator = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token } });
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
    env: { ...reg.env(), ...(await nodeOptions(heapDir)) },
  });
  if (heapDir) say(`heap snapshots go to ${heapDir}`);
  try {
    await ingestor.waitForLine(/ INFO {2}started$/, 60_000);
    await until(
      'the ingestor subscribed to events',
      () => ha.received.some((r) => (r.msg as { type?: string }).type === 'subscribe_events'),
      { ms: 30_000, everyMs: 50 },
    );
    await sleep(500);
    const latency = want.has('latency') ? await latencyPart(influx, setup, ha, rate, seconds) : undefined;
    if (latency) say(`latency: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms over ${latency.measured} events`);
    const outage = want.has('outage')
      ? await outagePart(influx, ha, ingestor, rate, outageMinutes, heapDir !== undefined)
      : undefined;
    if (outage)
      say(
        `outage: RSS ${outage.rssMiBFirst} → max ${outage.rssMiBMax} → ${outage.rssMiBLast} MiB; slope ${outage.rssSlopeSecondHalfMiBPerMin} MiB/min; drain ${outage.drainPointsPerSec} points/s`,
      );
    const replay = want.has('replay') ? await replayPart(influx, setup, replayEvents) : undefined;
    if (replay)
      say(
        `replay: ${replay.replayPointsPerSec} points/s vs raw ${replay.rawPointsPerSec} points/s: ratio ${replay.ratio}`,
      );
    const result = {
      bench: 'e2e',
      parts: [...want],
      rate,
      latency,
      outage,
      replay,
      goals: GOALS,
      meets: {
        p99: latency ? latency.p99Ms <= GOALS.p99Ms : undefined,
        replay: replay ? replay.ratio >= GOALS.replayRatio : undefined,
      },
      ingestorOptions: 'defaults (batch_size 5000, batch_max_kib 1024, flush_interval_ms 1000)',
      node: process.version,
    };
    console.log(JSON.stringify(result));
  } finally {
    await ingestor.stop('SIGTERM');
    await emulator.stop();
    await ha.stop();
    await influx.dispose();
    await rm(ingestor.dataDir, { recursive: true, force: true });
  }
}
