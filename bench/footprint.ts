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
//                              [--memory-usage]
//
// --memory-usage preloads bench/memory-probe.ts into the ingestor and prints, at the end of each phase, where its
// memory is: the V8 heap (per space), buffers outside it (external), and the rest of the RSS (code, the allocator).
// --profile starts the ingestor with Node's --cpu-prof (or --heap-prof) into a folder the bench names at the end:
// open the .cpuprofile / .heapprofile in Chrome DevTools. The profiler costs CPU and memory: don't read the figures
// of a profiled run as the footprint.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevStack } from '../dev/stack.js';
import { driveHome, realisticHome } from './home.js';
import { lastMemoryLine, memoryProbeFlag } from './memory-probe.js';
import { readProc } from './proc-stats.js';

const PROCS = ['ingestor', 'admin', 'influxdb', 'influxd'] as const;
type Proc = (typeof PROCS)[number];
const GOALS = { nodeRssMiB: 64, ingestorRssMiBAt1k: 96, influxdRssMiB: 128, stackRssMiB: 300, afterLargeRatio: 1.25 };

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
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
  const minutes = arg('minutes', 5);
  const burstRate = arg('burst-rate', 1000);
  const largeMiB = arg('large-mib', 20);
  const dataRoot = await mkdtemp(join(tmpdir(), 'homeiq-bench-footprint-'));
  const home = realisticHome();
  const profile = process.argv[process.argv.indexOf('--profile') + 1];
  const profileDir = process.argv.includes('--profile')
    ? await mkdtemp(join(tmpdir(), 'homeiq-bench-footprint-profile-'))
    : undefined;
  const ingestorFlags = [
    ...(profileDir
      ? [profile === 'heap' ? `--heap-prof --heap-prof-dir=${profileDir}` : `--cpu-prof --cpu-prof-dir=${profileDir}`]
      : []),
    ...(process.argv.includes('--memory-usage') ? [await memoryProbeFlag()] : []),
  ];
  say(
    `a home of ${home.entities.length} entities; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const stack = await startDevStack({
    dataRoot,
    port: 0,
    addressBlock: '127.0.43',
    home,
    eventsPerSecond: 0,
    ...(ingestorFlags.length > 0 ? { extraEnv: { ingestor: { NODE_OPTIONS: ingestorFlags.join(' ') } } } : {}),
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
      const s: Sample = { at: Date.now(), phase, rssKiB: {}, anonKiB: {}, cpuMs: {}, sysMs: {} };
      pids.influxd = await influxdPid(pids.influxdb as number);
      for (const p of PROCS) {
        const pid = pids[p];
        const r = pid === undefined ? undefined : await readProc(pid);
        if (!r) continue;
        s.rssKiB[p] = r.rss;
        s.anonKiB[p] = r.anon;
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
    const m = lastMemoryLine(stack.addons.ingestor.lines);
    if (m) {
      const spaces = Object.entries(m.spaces ?? {}).map(([k, v]) => `${k} ${mib(v / 1024)}`);
      say(
        `${p}: ingestor memory at the end: rss ${mib(m.rss / 1024)}, V8 heap ${mib(m.heapTotal / 1024)} (used ${mib(m.heapUsed / 1024)}; ${spaces.join(', ')}), external ${mib(m.external / 1024)} (array buffers ${mib(m.arrayBuffers / 1024)}) MiB`,
      );
    }
  };
  try {
    const phaseRun = async (name: string, rate: number, seconds: number): Promise<number> => {
      phase = name;
      const c0 = driver.changes;
      driver.setRate(rate);
      say(`${name}: ${rate} state changes/s for ${seconds} s; load average ${loadavg()[0]?.toFixed(2)}`);
      await sleep(seconds * 1000);
      driver.setRate(0);
      const events = driver.changes - c0;
      describe(name, events, seconds);
      return events;
    };
    await phaseRun('warm-up', 100, 60);
    const steadyEvents = await phaseRun('steady', 100, minutes * 60);
    await phaseRun('burst', burstRate, 60);
    phase = 'large';
    say(`large: one state with a ${largeMiB} MiB attribute, then 60 s quiet`);
    sim.setState('sensor.large_state', 'on', { friendly_name: 'Large', blob: 'x'.repeat(largeMiB * 1024 * 1024) });
    await sleep(60_000);
    const after = await readProc(pids.ingestor as number);
    describe('large', 1, 60);
    sampling = false;
    await sampler;

    const steady = inPhase('steady');
    const rssMiB = Object.fromEntries(
      PROCS.map((p) => [p, mib(median(steady.map((s) => s.rssKiB[p]).filter((v): v is number => v !== undefined)))]),
    ) as Record<Proc, number>;
    const stackRssMiB = Math.round(PROCS.reduce((n, p) => n + rssMiB[p], 0) * 10) / 10;
    const burst = inPhase('burst')
      .map((s) => s.rssKiB.ingestor)
      .filter((v): v is number => v !== undefined);
    const cpu0 = steady[0]?.cpuMs.ingestor ?? NaN;
    const cpu1 = steady.at(-1)?.cpuMs.ingestor ?? NaN;
    const result = {
      bench: 'footprint',
      rssMiB,
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
