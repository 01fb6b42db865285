import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finalStageEnv } from '../scripts/lint/dockerfile.ts';
import { runScript } from './peers/process.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Node 24 from the npm registry (root devDependency), the production runtime. */
export const NODE24 = join(REPO_ROOT, 'node_modules', '.bin', 'node');

export type AddonName = 'ingestor' | 'influxdb' | 'admin';

/** Bundles the add-ons with the project's one esbuild config, as the Dockerfile does. */
export function buildBundles(...names: AddonName[]): Promise<string> {
  return runScript(NODE24, [join(REPO_ROOT, 'scripts', 'build.ts'), ...names]);
}

export interface AddonProcess {
  name: AddonName;
  dataDir: string;
  child: ChildProcess;
  /** Every line the add-on printed (stdout and stderr), in order. */
  lines: string[];
  /** Resolves when a printed line matches. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal name) and how long the exit took after the call. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | string; ms: number }>;
  exited: Promise<number | string>;
}

/** A process's last `n` output lines, headed by its name: the context of a failed wait (until's `context`). */
export function tailOf(proc: AddonProcess | undefined, n = 60): string {
  return proc ? `--- ${proc.name} output ---\n${proc.lines.slice(-n).join('\n')}` : '';
}

export interface StartAddonOptions {
  name: AddonName;
  /** Written to `<dataDir>/options.json` unless `rawOptions` is given. */
  options?: unknown;
  rawOptions?: string;
  env: Record<string, string>;
  dataDir?: string;
}

/**
 * The environment an add-on's image gives its process: the ENV of its Dockerfile's final stage (NODE_ENV,
 * HOMEIQ_NODE_FLAGS, …), without s6-overlay's own settings, so tests and benches run the bundle as the image does.
 */
export function imageEnv(name: AddonName): Record<string, string> {
  const env = finalStageEnv(readFileSync(join(REPO_ROOT, `homeiq-${name}`, 'Dockerfile'), 'utf8'));
  return Object.fromEntries([...env].filter(([k]) => !k.startsWith('S6_')));
}

/**
 * The Node flags the add-on runs with: its Dockerfile's HOMEIQ_NODE_FLAGS (the one place they are defined), which
 * its s6 run script passes to node (`exec node $HOMEIQ_NODE_FLAGS /opt/homeiq-<name>/main.mjs`, checked here).
 */
export function productionNodeFlags(name: AddonName): string[] {
  const script = join(REPO_ROOT, `homeiq-${name}`, 'rootfs', 'etc', 's6-overlay', 's6-rc.d', `homeiq-${name}`, 'run');
  const exec = `exec node $HOMEIQ_NODE_FLAGS /opt/homeiq-${name}/main.mjs`;
  if (!readFileSync(script, 'utf8').split('\n').includes(exec)) throw new Error(`${script}: no \`${exec}\` line`);
  return (imageEnv(name)['HOMEIQ_NODE_FLAGS'] ?? '').split(/\s+/).filter((f) => f !== '');
}

/** Starts an add-on's bundle outside Docker, in a container-like layout: a data dir with options.json, and env. */
export async function startAddon(opts: StartAddonOptions): Promise<AddonProcess> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), `homeiq-${opts.name}-`)));
  if (opts.rawOptions !== undefined) await writeFile(join(dataDir, 'options.json'), opts.rawOptions);
  else if (opts.options !== undefined) await writeFile(join(dataDir, 'options.json'), JSON.stringify(opts.options));
  const bundle = join(REPO_ROOT, `homeiq-${opts.name}`, 'dist', 'main.mjs');
  // A bench trying another flag sets HOMEIQ_NODE_FLAGS in `env` (V8's flags are not allowed in NODE_OPTIONS).
  const flags = opts.env['HOMEIQ_NODE_FLAGS']?.split(/\s+/).filter((f) => f !== '') ?? productionNodeFlags(opts.name);
  const child = spawn(NODE24, [...flags, bundle], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      ...imageEnv(opts.name),
      HOMEIQ_DATA_DIR: dataDir,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<{ re: RegExp; resolve: (l: string) => void }>();
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      lines.push(line);
      for (const w of waiters) {
        if (w.re.test(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((res) => child.once('exit', (code, sig) => res(code ?? sig ?? -1)));
  return {
    name: opts.name,
    dataDir,
    child,
    lines,
    exited,
    waitForLine(re, timeoutMs = 15_000) {
      const found = lines.find((l) => re.test(l));
      if (found) return Promise.resolve(found);
      return new Promise((resolveLine, reject) => {
        const w = { re, resolve: resolveLine };
        waiters.add(w);
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(
            new Error(
              `homeiq-${opts.name}: no line matching ${re} within ${timeoutMs} ms. Output:\n${lines.join('\n')}`,
            ),
          );
        }, timeoutMs);
        void exited.then(() => {
          if (!waiters.has(w)) return;
          clearTimeout(t);
          waiters.delete(w);
          reject(new Error(`homeiq-${opts.name} exited before printing ${re}. Output:\n${lines.join('\n')}`));
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      const t0 = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - t0 };
    },
  };
}

export interface LaunchRegisteredOptions {
  name: AddonName;
  supervisorUrl: string;
  addon: { token: string; env(): Record<string, string> };
  dataDir?: string;
  extraEnv?: Record<string, string>;
}

/**
 * Starts an add-on the way the Supervisor does: it renders the user's options over the config defaults into
 * `<data dir>/options.json` (fetched here from the emulator's `/addons/self/options/config` with the add-on's
 * own token), then runs the bundle with the add-on's environment.
 */
export async function launchRegistered(opts: LaunchRegisteredOptions): Promise<AddonProcess> {
  const res = await fetch(`${opts.supervisorUrl}/addons/self/options/config`, {
    headers: { Authorization: `Bearer ${opts.addon.token}` },
  });
  const body = (await res.json()) as { result: string; data?: unknown; message?: string };
  if (body.result !== 'ok')
    throw new Error(`homeiq-${opts.name}: the Supervisor would not start it: ${body.message ?? res.status}`);
  return startAddon({
    name: opts.name,
    options: body.data,
    env: { ...opts.addon.env(), ...opts.extraEnv },
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
  });
}
