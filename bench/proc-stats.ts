// A process's memory and CPU as Linux reports them in /proc, for the benches that watch another process.
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export interface ProcStats {
  /** VmRSS and RssAnon, KiB. */
  rss: number;
  anon: number;
  /** RssFile, KiB: pages mapped from files (the node or influxd binary), shared with any process running the same file. */
  file: number;
  /** Context switches, voluntary and not (each wake-up of the process costs CPU of its own at home rates). */
  switches: number;
  /** utime+stime and stime alone, ms since the process started. */
  cpuMs: number;
  sysMs: number;
}

/** utime and stime (ms) from a /proc stat line; fields after the command name (which may hold spaces): utime 14, stime 15. */
function cpuOf(stat: string): { cpuMs: number; sysMs: number } {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS, sysMs: Number(f[12]) * TICK_MS };
}

/** The process's figures now, or undefined when it is gone (or exited, not yet reaped). */
export async function readProc(pid: number): Promise<ProcStats | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const field = (name: string): number | undefined => {
      const v = new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1];
      return v === undefined ? undefined : Number(v);
    };
    const rss = field('VmRSS');
    // A process that has exited and not yet been reaped (a zombie) has no memory lines: gone too.
    if (rss === undefined) return undefined;
    return {
      rss,
      anon: field('RssAnon') ?? Number.NaN,
      file: field('RssFile') ?? Number.NaN,
      switches: (field('voluntary_ctxt_switches') ?? 0) + (field('nonvoluntary_ctxt_switches') ?? 0),
      ...cpuOf(stat),
    };
  } catch {
    return undefined;
  }
}

export type ThreadGroup = 'main' | 'v8' | 'pool' | 'other';
export const THREAD_GROUPS: readonly ThreadGroup[] = ['main', 'v8', 'pool', 'other'];
/** Node names its threads: MainThread, V8Worker (GC and compiler helpers), libuv-worker (the thread pool). */
const groupOf = (comm: string): ThreadGroup =>
  comm === 'MainThread' ? 'main' : comm.startsWith('V8') ? 'v8' : comm.startsWith('libuv') ? 'pool' : 'other';

/** CPU time (ms) of a Node process's live threads by group (a thread that ended takes its time with it). */
export async function readThreads(pid: number): Promise<Record<ThreadGroup, number> | undefined> {
  const out: Record<ThreadGroup, number> = { main: 0, v8: 0, pool: 0, other: 0 };
  try {
    for (const task of await readdir(`/proc/${pid}/task`)) {
      const comm = (await readFile(`/proc/${pid}/task/${task}/comm`, 'utf8').catch(() => '')).trim();
      const stat = await readFile(`/proc/${pid}/task/${task}/stat`, 'utf8').catch(() => undefined);
      if (stat !== undefined) out[groupOf(comm)] += cpuOf(stat).cpuMs;
    }
    return out;
  } catch {
    return undefined;
  }
}
