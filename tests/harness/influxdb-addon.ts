/**
 * Runs the real homeiq-influxdb bundle (Node 24 from node_modules) against a real influxd, with the
 * Supervisor emulator standing in for the Supervisor. Every add-on gets its own loopback address.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpRequestRaw, type HttpResponse } from '@homeiq/shared';
import { stringify } from 'yaml';
import type { SupervisorEmulator } from '../../dev/supervisor/index.js';
import { buildInfluxd } from '../../dev/peers/influxd.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
export const BUNDLE = join(ROOT, 'homeiq-influxdb', 'dist', 'main.mjs');
export const CONFIG = join(ROOT, 'homeiq-influxdb', 'config.yaml');

/** Builds the bundle and (or reuses the cached) influxd; returns the influxd path. */
export async function prepare(): Promise<string> {
  await promisify(execFile)(NODE, [join(ROOT, 'scripts', 'build.ts'), 'influxdb'], { cwd: ROOT });
  return buildInfluxd();
}

export async function writeOptions(dataDir: string, options: Record<string, unknown>): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, 'options.json'), JSON.stringify(options));
}

/** Registers the two siblings and a stranger (an add-on that is not HomeIQ) with the emulator, at their addresses. */
export async function registerSiblings(
  emulator: SupervisorEmulator,
  dir: string,
  ip: { ingestor: string; admin: string; stranger: string },
): Promise<void> {
  for (const [slug, addr] of [
    ['homeiq-ingestor', ip.ingestor],
    ['homeiq-admin', ip.admin],
    ['some-other-addon', ip.stranger],
  ] as const) {
    const p = join(dir, `${slug}.yaml`);
    await writeFile(p, stringify({ name: slug, version: '0.1.0', slug, description: 'test', arch: ['amd64'] }));
    emulator.registerAddon({ configPath: p, ip: addr });
  }
}

/** One run of the add-on process, with everything it printed. */
export class AddonRun {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAt = Date.now();
  readonly child: ChildProcess;
  #partial = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(NODE, [BUNDLE], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (c: Buffer): void => {
      const parts = (this.#partial + c.toString()).split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts.filter((l) => l !== ''));
      if (process.env['HOMEIQ_TEST_VERBOSE']) process.stderr.write(c);
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** SIGTERM; resolves with the exit code and how long the stop took. */
  async terminate(): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    this.child.kill('SIGTERM');
    const r = await this.exited;
    return { code: r.code, ms: Date.now() - t0 };
  }

  /** Kills what is left (after a failed test) so no influxd outlives the run. */
  async dispose(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    // influxd is our grandchild; look it up before the manager dies, or it would be orphaned.
    const children = await childPids(this.child.pid);
    this.child.kill('SIGKILL');
    await this.exited;
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  output(): string {
    return this.lines.join('\n');
  }
}

/** Direct children of `pid` (to find influxd under the manager). */
export async function childPids(pid: number | undefined): Promise<number[]> {
  if (pid === undefined) return [];
  try {
    const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=', '--ppid', String(pid)]);
    return stdout
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

/** An HTTP call from a given loopback address (the caller's identity). */
export async function call(
  url: string,
  from: string,
  opts: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
  // biome-ignore lint/suspicious/noExplicitAny: a test reads response fields directly; typing each body adds nothing
): Promise<HttpResponse & { json: () => any; text: string }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['Authorization'] = `Token ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await httpRequestRaw(url, {
    method: opts.method ?? 'GET',
    headers,
    localAddress: from,
    timeoutMs: 60_000,
    ...(body !== undefined ? { body } : {}),
  });
  const text = res.body.toString('utf8');
  return { ...res, text, json: () => JSON.parse(text) };
}

/** Whether a process with this pid still exists (signal 0 only checks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
