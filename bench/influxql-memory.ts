// InfluxQL memory bench: how much a real influxd grows while it answers heavy InfluxQL, unguarded (sent to influxd
// directly, unchunked, as a client without the admin's console sends it, e.g. Grafana's InfluxQL data source)
// against guarded (the same text through the admin's query console, homeiq-admin/src/explore/console.ts: it
// refuses what holds every point, and the bench then runs the function the refusal names, through the console
// too; what it allows runs chunked and is cut at its row and size limits). influxd runs with the influxdb add-on's
// default memory profile (`small`: a query memory limit of 64 MiB, GOGC and GOMEMLIMIT) on --points raw points
// (default 1,600,000: four entities, one point a second, in HomeIQ's layout). Each run is on a freshly restarted
// influxd, after one warm-up count. The bench reads influxd's RSS every 50 ms while the query runs, and after the
// answer, or after it stops waiting (--stop-s, default 120, the console's longest time limit; 5 for Holt-Winters),
// how long influxd goes on computing (until two idle seconds, a minute at most). The last workload,
// `top("value", 1000000000)`, stops an unguarded influxd: it asks for room for a billion points at once.
//
//   npm run bench -- influxql-memory [--points 1600000] [--stop-s 120]
//
// One line per run (growth over the warm RSS, peak, time, busy after, outcome), one per workload with the ratio
// guarded/unguarded growth, and last one JSON object:
//   {"bench":"influxql-memory","points":…,"baseMiB":…,"maxGrowthMiB":{"unguarded","guarded"},"ratio":…,
//    "cpuMsAfter":{…},"exits":{…},"workloads":[{"name","unguarded":{growthMiB,…},"guarded":{…},"ratio"}]}
// The largest growth leaves out an unguarded run that stopped influxd.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpError } from '@homeiq/shared';
import { startInfluxd } from '../dev/peers/influxd.js';
import { writeHistory, type HistoryEntity } from '../dev/synthetic-history.js';
import { QUERY_LIMITS } from '../homeiq-admin/src/api-types.js';
import { QueryConsole } from '../homeiq-admin/src/explore/console.js';
import { influxdTuning } from '../homeiq-influxdb/src/influxd/memory-profile.js';
import { adminReader } from '../tests/harness/admin-reader.js';
import { readProc } from './proc-stats.js';

/** After the answer (or the stop), influxd counts as idle after two seconds of under 100 ms CPU each. */
const IDLE_MS_PER_S = 100;
/** …and is watched for a minute at most. */
const BUSY_CAP_S = 60;
const START = Date.UTC(2025, 0, 1);
const ENTITIES = 4;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (kib: number): number => Math.round(kib / 102.4) / 10;
/** guarded/unguarded, each at least 1 MiB. */
const ratioOf = (guarded: number, unguarded: number): number =>
  Math.round((Math.max(1, guarded) / Math.max(1, unguarded)) * 1000) / 1000;

/** How long influxd went on computing after the query ended for the bench, and the CPU time it spent. */
async function busyAfter(pid: number): Promise<{ busyAfterS: number; cpuMsAfter: number }> {
  const start = (await readProc(pid))?.cpuMs ?? 0;
  let last = start;
  let busyAfterS = 0;
  for (let s = 1, idle = 0; idle < 2 && s <= BUSY_CAP_S; s++) {
    await sleep(1000);
    const now = (await readProc(pid))?.cpuMs;
    if (now === undefined) break;
    if (now - last < IDLE_MS_PER_S) idle++;
    else {
      idle = 0;
      busyAfterS = s;
    }
    last = now;
  }
  return { busyAfterS, cpuMsAfter: Math.round(last - start) };
}

interface Workload {
  name: string;
  /** What a client without the console sends. */
  influxql: string;
  /** What the console's refusal names, and what the bench then runs through the console instead. */
  instead?: { names: string; language: 'flux' | 'influxql'; query: string };
  /** Stop waiting after this many seconds (default --stop-s). */
  stopS?: number;
}

function workloads(endIso: string): Workload[] {
  const flux = (names: string, tail: string, stop = endIso) => ({
    names,
    language: 'flux' as const,
    query: `from(bucket: "homeassistant") |> range(start: 2025-01-01T00:00:00Z, stop: ${stop}) |> filter(fn: (r) => r._measurement == "sensor" and r._field == "value") |> group() |> ${tail}`,
  });
  // The count the console's refusal names instead of a larger one.
  const largestCount = {
    names: `count of at most ${QUERY_LIMITS.maxRows}`,
    language: 'influxql' as const,
    query: `SELECT top("value", ${QUERY_LIMITS.maxRows}) FROM "sensor"`,
  };
  // Holt-Winters over three days of 10 s windows: 26,000 windows to fit.
  const hwWhere = `WHERE time >= '2025-01-01T00:00:00Z' AND time < '2025-01-04T00:00:00Z'`;
  return [
    { name: 'mean', influxql: 'SELECT mean("value") FROM "sensor"' },
    { name: 'raw SELECT *', influxql: 'SELECT * FROM "sensor"' },
    {
      name: 'percentile',
      influxql: 'SELECT percentile("value", 50) FROM "sensor"',
      instead: flux('quantile(q: 0.95)', 'quantile(q: 0.5)'),
    },
    { name: 'median', influxql: 'SELECT median("value") FROM "sensor"', instead: flux("Flux's median()", 'median()') },
    { name: 'mode', influxql: 'SELECT mode("value") FROM "sensor"', instead: flux("Flux's mode()", 'mode()') },
    { name: 'stddev', influxql: 'SELECT stddev("value") FROM "sensor"', instead: flux("Flux's stddev()", 'stddev()') },
    {
      name: 'count(distinct)',
      influxql: 'SELECT count(distinct("value")) FROM "sensor"',
      instead: flux('distinct() |> count()', 'distinct() |> count()'),
    },
    {
      name: 'holt_winters',
      influxql: `SELECT holt_winters(first("value"), 10, 0) FROM "sensor" ${hwWhere} GROUP BY time(10s)`,
      instead: flux(
        'holtWinters()',
        'aggregateWindow(every: 10s, fn: first, createEmpty: false) |> holtWinters(n: 10, interval: 10s)',
        '2025-01-04T00:00:00Z',
      ),
      stopS: 5,
    },
    {
      name: 'top 1000000',
      influxql: 'SELECT top("value", 1000000) FROM "sensor"',
      instead: largestCount,
    },
    // Asks for 1e9 points' room (about 88 GB) before reading one: last, as it stops an unguarded influxd.
    {
      name: 'top 1000000000',
      influxql: 'SELECT top("value", 1000000000) FROM "sensor"',
      instead: largestCount,
    },
  ];
}

interface RunFigures {
  growthMiB: number;
  peakMiB: number;
  ms: number;
  busyAfterS: number;
  cpuMsAfter: number;
  /** influxd was gone after the run: its growth is what it had reached before. */
  exited: boolean;
  outcome: string;
}

export async function run(): Promise<void> {
  const points = arg('points', 1_600_000);
  const stopS = arg('stop-s', QUERY_LIMITS.maxTimeoutS);
  const tuning = influxdTuning('small');
  const influxd = await startInfluxd({ args: tuning.args, env: tuning.env });
  const dir = await mkdtemp(join(tmpdir(), 'homeiq-influxql-memory-'));
  try {
    const setup = await influxd.setup({ bucket: 'homeassistant' });
    const auth = { Authorization: `Token ${setup.token}` };
    // Two noisy power readings with two decimals and two energy meters that only grow (every value differs), as
    // Home Assistant's sensors report them.
    const entities: HistoryEntity[] = Array.from({ length: ENTITIES }, (_, i) =>
      i % 2 === 0
        ? {
            entityId: `sensor.bench_power_${i}`,
            unit: 'W',
            at: (ms) => Math.round((400 + 300 * Math.sin(ms / 7e6 + i) + ((ms * 7919) % 100_003) / 1000) * 100) / 100,
          }
        : {
            entityId: `sensor.bench_energy_${i}`,
            unit: 'kWh',
            at: (ms) => Math.round(1000 * (1000 * i + (ms - START) / 3.6e6)) / 1000,
          },
    );
    const endMs = START + (points / ENTITIES) * 1000;
    const t0 = performance.now();
    await writeHistory(
      { url: influxd.url, token: setup.token, org: setup.org, raw: setup.bucket, summaries: {} },
      { entities, startMs: START, endMs, rawEveryMs: 1000 },
    );
    console.log(`[influxql-memory] wrote ${points} points in ${Math.round((performance.now() - t0) / 1000)} s`);
    // The database the influxdb add-on maps onto the raw bucket.
    const dbrp = await fetch(`${influxd.url}/api/v2/dbrps`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        bucketID: setup.bucketId,
        orgID: setup.orgId,
        database: setup.bucket,
        retention_policy: 'autogen',
        default: true,
      }),
    });
    if (dbrp.status !== 201) throw new Error(`mapping the database answered ${dbrp.status}`);

    /** The query sent as is, the whole answer read and dropped; resolves with how it ended. */
    const direct = async (query: string, limitS: number): Promise<string> => {
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), limitS * 1000);
      try {
        const res = await fetch(`${influxd.url}/query?db=${setup.bucket}`, {
          method: 'POST',
          headers: auth,
          body: new URLSearchParams({ q: query }),
          signal: stop.signal,
        });
        let bytes = 0;
        let head = '';
        for await (const chunk of res.body ?? []) {
          bytes += chunk.length;
          if (head.length < 400) head += Buffer.from(chunk).toString('utf8');
        }
        const error = /"error":"([^"]*)"/.exec(head)?.[1];
        return error !== undefined ? `error: ${error}` : `answered ${res.status}, ${mib(bytes / 1024)} MiB`;
      } catch (err) {
        return stop.signal.aborted ? `stopped at ${limitS} s` : `failed: ${(err as Error).message}`;
      } finally {
        clearTimeout(timer);
      }
    };

    /** The query through the console; when it refuses, the function its refusal names, through it too. */
    const guarded = async (w: Workload, limitS: number): Promise<string> => {
      const console_ = new QueryConsole(adminReader({ setup, host: influxd.host, port: influxd.port, dir }));
      const ask = async (language: 'flux' | 'influxql', query: string): Promise<string> => {
        try {
          const a = await console_.run({ language, query, rows: QUERY_LIMITS.maxRows, timeoutS: limitS });
          return `${a.rows} rows${a.truncated ? ` (${a.truncated})` : ''}`;
        } catch (err) {
          if (err instanceof HttpError && (err.details as { source?: string } | undefined)?.source === 'console')
            return `refused: ${err.message}`;
          return `failed: ${(err as Error).message}`;
        }
      };
      const first = await ask('influxql', w.influxql);
      if (!w.instead) return first;
      if (!first.startsWith('refused: ') || !first.includes(w.instead.names))
        throw new Error(`the console was to refuse ${w.name} naming ${w.instead.names}; it answered ${first}`);
      const { language, query } = w.instead;
      const shown = language === 'flux' ? query.slice(query.indexOf('group() |> ') + 11) : query;
      return `refused; instead ${language} ${shown}: ${await ask(language, query)}`;
    };

    /** One run on a freshly restarted influxd: its growth while `go` runs, and what it did after. */
    const measure = async (go: () => Promise<string>): Promise<RunFigures> => {
      await influxd.stop();
      await influxd.start();
      const pid = influxd.pid() as number;
      await direct('SELECT count("value") FROM "sensor"', 60);
      await sleep(1000);
      const base = (await readProc(pid))?.rss ?? Number.NaN;
      let peak = base;
      const watch = setInterval(() => {
        void readProc(pid).then((s) => {
          if (s) peak = Math.max(peak, s.rss);
        });
      }, 50);
      const t = performance.now();
      const outcome = await go();
      const ms = Math.round(performance.now() - t);
      const after = await busyAfter(pid);
      clearInterval(watch);
      const exited = (await readProc(pid)) === undefined;
      return {
        growthMiB: mib(peak - base),
        peakMiB: mib(peak),
        ms,
        ...after,
        exited,
        outcome: exited ? `${outcome}; influxd exited` : outcome,
      };
    };

    const results = [];
    const baseline = await measure(async () => 'idle');
    const baseMiB = baseline.peakMiB;
    for (const w of workloads(new Date(endMs).toISOString())) {
      const limitS = w.stopS ?? stopS;
      const figures: Record<'unguarded' | 'guarded', RunFigures> = {
        unguarded: await measure(() => direct(w.influxql, limitS)),
        guarded: await measure(() => guarded(w, limitS)),
      };
      for (const [how, f] of Object.entries(figures))
        console.log(
          `[influxql-memory] ${`${w.name} ${how}`.padEnd(28)} +${String(f.growthMiB).padStart(6)} MiB (peak ${f.peakMiB}) ` +
            `${String(f.ms).padStart(6)} ms; then busy ${f.busyAfterS} s (CPU ${f.cpuMsAfter} ms); ${f.outcome.slice(0, 140)}`,
        );
      // No ratio against an influxd that exited; else against a floor of 1 MiB (RSS moves by a few hundred KiB
      // on its own).
      const ratio = figures.unguarded.exited ? null : ratioOf(figures.guarded.growthMiB, figures.unguarded.growthMiB);
      console.log(
        `[influxql-memory] ${w.name}: guarded/unguarded growth ${ratio ?? 'none (unguarded influxd exited)'}`,
      );
      results.push({ name: w.name, ...figures, ratio });
    }
    const measured = results.filter((r) => !r.unguarded.exited);
    const maxGrowthMiB = {
      unguarded: Math.max(...measured.map((r) => r.unguarded.growthMiB)),
      guarded: Math.max(...results.map((r) => r.guarded.growthMiB)),
    };
    // CPU influxd spent after the answer or the stop: work nobody waits for any more.
    const cpuMsAfter = {
      unguarded: results.reduce((n, r) => n + r.unguarded.cpuMsAfter, 0),
      guarded: results.reduce((n, r) => n + r.guarded.cpuMsAfter, 0),
    };
    const exits = {
      unguarded: results.filter((r) => r.unguarded.exited).length,
      guarded: results.filter((r) => r.guarded.exited).length,
    };
    const ratio = ratioOf(maxGrowthMiB.guarded, maxGrowthMiB.unguarded);
    console.log(
      `[influxql-memory] largest growth: unguarded ${maxGrowthMiB.unguarded} MiB, guarded ${maxGrowthMiB.guarded} MiB; ratio ${ratio}; ` +
        `CPU after: unguarded ${cpuMsAfter.unguarded} ms, guarded ${cpuMsAfter.guarded} ms; influxd exits: unguarded ${exits.unguarded}, guarded ${exits.guarded}`,
    );
    console.log(
      JSON.stringify({
        bench: 'influxql-memory',
        points,
        baseMiB,
        maxGrowthMiB,
        ratio,
        cpuMsAfter,
        exits,
        workloads: results,
      }),
    );
  } finally {
    await influxd.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
