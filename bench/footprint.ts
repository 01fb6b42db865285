// Footprint bench: the memory and CPU the whole stack uses on this machine, as a user's Home Assistant box would
// run it. The three add-on bundles start as their s6 run scripts start them in the image (the same Node flags and
// environment, a data dir each) through the dev stack: the Supervisor emulator, the real influxd under
// homeiq-influxdb with the add-on's default options, and the HA simulator seeded with a realistic home (bench/home.ts:
// ~330 entities with 5–40 attributes each). Phases:
//
//   warm-up   1 min at 100 state changes/s
//   steady    --minutes (default 5) at 100/s        → rssMiB (medians), ingestorCpuMsPer1kEvents
//   burst     1 min at 1,000/s                       → rssMiBAt1k (median)
//   large     one state of 20 MB (a string attribute), then 60 s quiet
//                                                    → afterLargeState.ingestorRssRatio (RSS 60 s later / steady median)
//
// Every second it reads each process's VmRSS and RssAnon (/proc/<pid>/status) and utime+stime (/proc/<pid>/stat).
// Lines before the last describe each phase; the last line is one JSON object:
//   {"bench":"footprint","rssMiB":{…},"stackRssMiB":…,"rssMiBAt1k":{"ingestor":…},
//    "afterLargeState":{"ingestorRssRatio":…},"ingestorCpuMsPer1kEvents":…,"node":…}
//
//   npm run bench -- footprint [--minutes 5] [--burst-rate 1000] [--large-mib 20] [--profile cpu|heap]
//                              [--memory-usage] [--heap-snapshot] [--node-options '<flags>'] [--node-flags '<flags>']
//                              [--env KEY=VALUE]…
//
// Each phase's line also splits the ingestor's CPU time by thread: the main thread (JavaScript, I/O callbacks),
// V8's helper threads (concurrent GC), libuv's thread pool (fdatasync, file writes, gzip), and counts its context
// switches (each wake-up of the process costs CPU of its own at home rates). The JSON gives both VmRSS (`rssMiB`)
// and its private part (`anonMiB`, RssAnon: the heap, buffers, the allocator; without the pages of the node
// binary, which are mapped from disk and shared with other processes running the same file).
//
// --node-options adds Node flags to the ingestor's (NODE_OPTIONS), --node-flags adds flags NODE_OPTIONS does not
// take (V8's, such as --single-threaded-gc) after the Dockerfile's, --env sets a variable in its environment:
// for trying a flag or a setting (UV_THREADPOOL_SIZE, --perf-basic-prof for perf) before it goes into the Dockerfile.
// --heap-snapshot writes a heap snapshot of the ingestor at the end (after the quiet minute) into the profile folder.
// --memory-usage preloads bench/memory-probe.ts into the ingestor and prints, at the end of each phase, where its
// memory is: the V8 heap (per space), buffers outside it (external), and the rest of the RSS (code, the allocator).
// --profile starts the ingestor with Node's --cpu-prof (or --heap-prof) into a folder the bench names at the end:
// open the .cpuprofile / .heapprofile in Chrome DevTools. The profiler costs CPU and memory: don't read the figures
// of a profiled run as the footprint.
import { httpRequestRaw } from '@homeiq/shared';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { productionNodeFlags } from '../dev/addon-process.js';
import { startDevStack } from '../dev/stack.js';
import { driveHome, realisticHome } from './home.js';
import { lastMemoryLine, memoryProbeFlag } from './memory-probe.js';
import { readProc, readThreads, THREAD_GROUPS, type ThreadGroup } from './proc-stats.js';

const PROCS = ['ingestor', 'admin', 'influxdb', 'influxd'] as const;
type Proc = (typeof PROCS)[number];
const GOALS = { nodeRssMiB: 64, ingestorRssMiBAt1k: 96, influxdRssMiB: 128, stackRssMiB: 300, afterLargeRatio: 1.25 };

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
/** Every value given for a repeatable `--name value` option. */
function args(name: string): string[] {
  return process.argv.flatMap((a, i) =>
    a === `--${name}` && i + 1 < process.argv.length ? [process.argv[i + 1] as string] : [],
  );
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const say = (m: string): void => console.log(`[footprint] ${m}`);
const mib = (kib: number): number => Math.round(kib / 102.4) / 10;
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface Sample {
  at: number;
  phase: string;
  rssKiB: Partial<Record<Proc, number>>;
  anonKiB: Partial<Record<Proc, number>>;
  /** utime+stime, ms, since the process started. */
  cpuMs: Partial<Record<Proc, number>>;
  /** stime alone (the kernel's part: syscalls such as fdatasync). */
  sysMs: Partial<Record<Proc, number>>;
  /** RssFile: pages mapped from files (the node or influxd binary), shared with any process running the same file. */
  fileKiB: Partial<Record<Proc, number>>;
  /** The ingestor's CPU time (ms) by thread group, and its context switches (voluntary + not). */
  threads: Record<ThreadGroup, number> | undefined;
  switches: number | undefined;
}

/** The manager's influxd: its child process named influxd (found again after a restart). */
async function influxdPid(manager: number): Promise<number | undefined> {
  for (const task of await readdir(`/proc/${manager}/task`).catch(() => [] as string[])) {
    const kids = await readFile(`/proc/${manager}/task/${task}/children`, 'utf8').catch(() => '');
    for (const kid of kids.split(' ').filter(Boolean)) {
      const comm = await readFile(`/proc/${kid}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'influxd') return Number(kid);
    }
  }
  return undefined;
}

export async function run(): Promise<void> {
  const addressBlock = '127.0.43';
  const minutes = arg('minutes', 5);
  const burstRate = arg('burst-rate', 1000);
  const largeMiB = arg('large-mib', 20);
  const dataRoot = await mkdtemp(join(tmpdir(), 'homeiq-bench-footprint-'));
  const home = realisticHome();
  const profile = process.argv[process.argv.indexOf('--profile') + 1];
  const profileDir = process.argv.includes('--profile')
    ? await mkdtemp(join(tmpdir(), 'homeiq-bench-footprint-profile-'))
    : undefined;
  const snapshotDir = process.argv.includes('--heap-snapshot')
    ? (profileDir ?? (await mkdtemp(join(tmpdir(), 'homeiq-bench-footprint-profile-'))))
    : undefined;
  const ingestorFlags = [
    ...(profileDir
      ? [profile === 'heap' ? `--heap-prof --heap-prof-dir=${profileDir}` : `--cpu-prof --cpu-prof-dir=${profileDir}`]
      : []),
    ...(snapshotDir ? [`--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}`] : []),
    ...(process.argv.includes('--memory-usage') ? [await memoryProbeFlag()] : []),
    ...args('node-options'),
  ];
  const ingestorEnv: Record<string, string> = Object.fromEntries(
    args('env').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  if (ingestorFlags.length > 0) ingestorEnv['NODE_OPTIONS'] = ingestorFlags.join(' ');
  // V8's own flags are not allowed in NODE_OPTIONS: they go after the Dockerfile's on the command line.
  const v8Flags = args('node-flags');
  if (v8Flags.length > 0) ingestorEnv['HOMEIQ_NODE_FLAGS'] = [...productionNodeFlags('ingestor'), ...v8Flags].join(' ');
  if (Object.keys(ingestorEnv).length > 0) say(`ingestor's extra environment: ${JSON.stringify(ingestorEnv)}`);
  say(
    `a home of ${home.entities.length} entities; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const stack = await startDevStack({
    dataRoot,
    port: 0,
    addressBlock,
    home,
    eventsPerSecond: 0,
    // Room for the large state's one frame in the emulator's proxy (the real Supervisor has no such bound).
    maxWsBufferedBytes: Math.max(16, 3 * largeMiB) * 1024 * 1024,
    extraEnv: { ingestor: ingestorEnv },
    say: (m) => say(m),
  });
  const sim = stack.simulator;
  if (!sim) throw new Error('the footprint bench needs the simulated Home Assistant');
  const driver = driveHome(sim, home);
  const samples: Sample[] = [];
  let phase = 'warm-up';
  const pids: Partial<Record<Proc, number>> = {
    ingestor: stack.addons.ingestor.child.pid,
    admin: stack.addons.admin.child.pid,
    influxdb: stack.addons.influxdb.child.pid,
  };
  let sampling = true;
  const sampler = (async () => {
    let next = performance.now();
    while (sampling) {
      const s: Sample = {
        at: Date.now(),
        phase,
        rssKiB: {},
        anonKiB: {},
        fileKiB: {},
        cpuMs: {},
        sysMs: {},
        threads: await readThreads(pids.ingestor as number),
        switches: undefined,
      };
      pids.influxd = await influxdPid(pids.influxdb as number);
      for (const p of PROCS) {
        const pid = pids[p];
        const r = pid === undefined ? undefined : await readProc(pid);
        if (!r) continue;
        s.rssKiB[p] = r.rss;
        s.anonKiB[p] = r.anon;
        s.fileKiB[p] = r.file;
        if (p === 'ingestor') s.switches = r.switches;
        s.cpuMs[p] = r.cpuMs;
        s.sysMs[p] = r.sysMs;
      }
      samples.push(s);
      next += 1000;
      await sleep(Math.max(0, next - performance.now()));
    }
  })();
  const inPhase = (p: string): Sample[] => samples.filter((s) => s.phase === p);
  const describe = (p: string, events: number, seconds: number): void => {
    const xs = inPhase(p);
    const first = xs[0];
    const last = xs.at(-1);
    const parts = PROCS.map((proc) => {
      const rss = xs.map((s) => s.rssKiB[proc]).filter((v): v is number => v !== undefined);
      const anon = xs.map((s) => s.anonKiB[proc]).filter((v): v is number => v !== undefined);
      const d = (k: 'cpuMs' | 'sysMs'): number =>
        first && last ? ((last[k][proc] ?? 0) - (first[k][proc] ?? 0)) / 1000 : NaN;
      return `${proc} rss ${mib(median(rss))} (max ${mib(Math.max(...rss))}) anon ${mib(median(anon))} MiB cpu ${d('cpuMs').toFixed(2)} s (sys ${d('sysMs').toFixed(2)})`;
    });
    say(`${p}: ${events} events in ${seconds} s; ${parts.join('; ')}`);
    if (first?.threads && last?.threads && first.switches !== undefined && last.switches !== undefined) {
      const t0 = first.threads;
      const t1 = last.threads;
      const per = THREAD_GROUPS.map((g) => `${g} ${((t1[g] - t0[g]) / 1000).toFixed(2)}`).join(', ');
      say(`${p}: ingestor CPU s by thread: ${per}; context switches ${last.switches - first.switches}`);
    }
    const m = lastMemoryLine(stack.addons.ingestor.lines);
    if (m) {
      const spaces = Object.entries(m.spaces ?? {}).map(([k, v]) => `${k} ${mib(v / 1024)}`);
      say(
        `${p}: ingestor memory at the end: rss ${mib(m.rss / 1024)}, V8 heap ${mib(m.heapTotal / 1024)} (used ${mib(m.heapUsed / 1024)}; ${spaces.join(', ')}), external ${mib(m.external / 1024)} (array buffers ${mib(m.arrayBuffers / 1024)}) MiB`,
      );
    }
  };
  try {
    /** The ingestor's work counters (its /metrics, asked from the admin's address as the panel does). */
    const counters = async (): Promise<{ commits: number; requests: number }> => {
      const res = await httpRequestRaw(`http://${addressBlock}.11:8325/metrics`, {
        localAddress: `${addressBlock}.13`,
        timeoutMs: 10_000,
      });
      const text = res.body.toString('utf8');
      const read = (name: string): number => Number(new RegExp(`^homeiq_${name} (\\S+)$`, 'm').exec(text)?.[1]);
      return { commits: read('spool_commits_total'), requests: read('write_requests_total') };
    };
    const phaseRun = async (name: string, rate: number, seconds: number): Promise<number> => {
      phase = name;
      const c0 = driver.changes;
      const k0 = await counters();
      driver.setRate(rate);
      say(`${name}: ${rate} state changes/s for ${seconds} s; load average ${loadavg()[0]?.toFixed(2)}`);
      await sleep(seconds * 1000);
      driver.setRate(0);
      const events = driver.changes - c0;
      describe(name, events, seconds);
      const k1 = await counters();
      say(
        `${name}: ingestor spool commits ${((k1.commits - k0.commits) / seconds).toFixed(1)}/s, write requests ${((k1.requests - k0.requests) / seconds).toFixed(1)}/s`,
      );
      return events;
    };
    await phaseRun('warm-up', 100, 60);
    const steadyEvents = await phaseRun('steady', 100, minutes * 60);
    // --burst-rate 0 and --large-mib 0 leave those phases out (a quicker run comparing the steady phase alone).
    if (burstRate > 0) await phaseRun('burst', burstRate, 60);
    let after: Awaited<ReturnType<typeof readProc>>;
    if (largeMiB > 0) {
      phase = 'large';
      say(`large: one state with a ${largeMiB} MiB attribute, then 60 s quiet`);
      sim.setState('sensor.large_state', 'on', { friendly_name: 'Large', blob: 'x'.repeat(largeMiB * 1024 * 1024) });
      await sleep(60_000);
      after = await readProc(pids.ingestor as number);
      describe('large', 1, 60);
    }
    sampling = false;
    await sampler;

    const steady = inPhase('steady');
    const steadyMedian = (k: 'rssKiB' | 'anonKiB'): Record<Proc, number> =>
      Object.fromEntries(
        PROCS.map((p) => [p, mib(median(steady.map((s) => s[k][p]).filter((v): v is number => v !== undefined)))]),
      ) as Record<Proc, number>;
    const rssMiB = steadyMedian('rssKiB');
    const anonMiB = steadyMedian('anonKiB');
    const stackRssMiB = Math.round(PROCS.reduce((n, p) => n + rssMiB[p], 0) * 10) / 10;
    const burst = inPhase('burst')
      .map((s) => s.rssKiB.ingestor)
      .filter((v): v is number => v !== undefined);
    const cpu0 = steady[0]?.cpuMs.ingestor ?? NaN;
    const cpu1 = steady.at(-1)?.cpuMs.ingestor ?? NaN;
    const result = {
      bench: 'footprint',
      rssMiB,
      anonMiB,
      stackRssMiB,
      rssMiBAt1k: { ingestor: mib(median(burst)) },
      afterLargeState: { ingestorRssRatio: Number((mib(after?.rss ?? NaN) / rssMiB.ingestor).toFixed(3)) },
      ingestorCpuMsPer1kEvents: Math.round(((cpu1 - cpu0) / steadyEvents) * 1000),
      node: process.version,
    };
    const ok = (b: boolean): string => (b ? 'met' : 'NOT met');
    say(
      `goals: node add-ons ≤ ${GOALS.nodeRssMiB} MiB ${ok(Math.max(rssMiB.ingestor, rssMiB.admin, rssMiB.influxdb) <= GOALS.nodeRssMiB)}; ` +
        `ingestor at 1k ≤ ${GOALS.ingestorRssMiBAt1k} MiB ${ok(result.rssMiBAt1k.ingestor <= GOALS.ingestorRssMiBAt1k)}; ` +
        `influxd ≤ ${GOALS.influxdRssMiB} MiB ${ok(rssMiB.influxd <= GOALS.influxdRssMiB)}; ` +
        `stack ≤ ${GOALS.stackRssMiB} MiB ${ok(stackRssMiB <= GOALS.stackRssMiB)}; ` +
        `after a large state ≤ ${GOALS.afterLargeRatio} ${ok(result.afterLargeState.ingestorRssRatio <= GOALS.afterLargeRatio)}; ` +
        `load average at the end ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    if (snapshotDir) {
      const before = new Set(await readdir(snapshotDir));
      stack.addons.ingestor.child.kill('SIGUSR2');
      // Written by the ingestor's main thread; done once the file stops growing.
      let size = -1;
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(2000)) {
        const file = (await readdir(snapshotDir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
        const now = file ? (await stat(join(snapshotDir, file))).size : -1;
        if (now > 0 && now === size) break;
        size = now;
      }
      say(`the ingestor's heap snapshot (after the quiet minute) is in ${snapshotDir}`);
    }
    console.log(JSON.stringify(result));
  } finally {
    sampling = false;
    driver.stop();
    await sampler;
    await stack.stop();
    await rm(dataRoot, { recursive: true, force: true });
    if (profileDir) say(`the ingestor's ${profile === 'heap' ? 'heap' : 'CPU'} profile is in ${profileDir}`);
  }
}
