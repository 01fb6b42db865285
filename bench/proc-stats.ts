// A process's memory and CPU as Linux reports them in /proc, for the benches that watch another process.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export interface ProcStats {
  /** VmRSS and RssAnon, KiB. */
  rss: number;
  anon: number;
  /** utime+stime and stime alone, ms since the process started. */
  cpuMs: number;
  sysMs: number;
}

/** The process's figures now, or undefined when it is gone (or exited, not yet reaped). */
export async function readProc(pid: number): Promise<ProcStats | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rss = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    // A process that has exited and not yet been reaped (a zombie) has no memory lines: gone too.
    if (rss === undefined) return undefined;
    return {
      rss: Number(rss),
      anon: Number(/RssAnon:\s+(\d+)/.exec(status)?.[1]),
      cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS,
      sysMs: Number(f[12]) * TICK_MS,
    };
  } catch {
    return undefined;
  }
}
