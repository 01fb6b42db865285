import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../until.js';
import { freePort, runScript, stopChild, TailBuffer } from './process.js';

const BUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'influxd', 'build.sh');

/** Builds (or reuses the cached) influxd from source; returns the binary's path. Progress goes to stderr. */
export function buildInfluxd(): Promise<string> {
  return runScript('bash', [BUILD_SCRIPT]);
}

export interface InfluxSetup {
  token: string;
  org: string;
  orgId: string;
  bucket: string;
  bucketId: string;
}

export interface RealInfluxd {
  url: string;
  host: string;
  port: number;
  dataDir: string;
  /** The running influxd's process id (for a bench reading its memory); undefined while stopped. */
  pid(): number | undefined;
  /** Onboards with a user, org, bucket and operator token (POST /api/v2/setup). */
  setup(opts?: { org?: string; bucket?: string; retentionSeconds?: number }): Promise<InfluxSetup>;
  /** SIGINT (influxd's clean shutdown; SIGTERM kills it at once) and wait; the data dir is kept for `start()`. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stops and deletes the data dir (unless it was given by the caller). */
  dispose(): Promise<void>;
}

export interface StartInfluxdOptions {
  binary?: string;
  host?: string;
  port?: number;
  /** An existing data dir (e.g. a restored backup); a fresh temp dir otherwise. */
  dataDir?: string;
  /** More flags, e.g. the influxdb add-on's memory profile (its query memory limit). */
  args?: readonly string[];
  /** More environment, e.g. the memory profile's GOGC and GOMEMLIMIT. */
  env?: Readonly<Record<string, string>>;
}

/** The flags that keep influxd inside its data dir, on loopback, and silent towards the internet. */
export function influxdArgs(dataDir: string, host: string, port: number): string[] {
  return [
    'run',
    '--reporting-disabled',
    '--ui-disabled',
    `--http-bind-address=${host}:${port}`,
    `--bolt-path=${join(dataDir, 'influxd.bolt')}`,
    `--engine-path=${join(dataDir, 'engine')}`,
    `--sqlite-path=${join(dataDir, 'influxd.sqlite')}`,
    '--log-level=warn',
  ];
}

/** Starts a real influxd on loopback in its own data dir; resolves once `/health` passes. */
export async function startInfluxd(opts: StartInfluxdOptions = {}): Promise<RealInfluxd> {
  const binary = opts.binary ?? (await buildInfluxd());
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(host));
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'homeiq-influxd-')));
  const url = `http://${host}:${port}`;
  const tail = new TailBuffer();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const c = spawn(binary, [...influxdArgs(dataDir, host, port), ...(opts.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    child = c;
    c.stdout?.on('data', (d: Buffer) => tail.push(d));
    c.stderr?.on('data', (d: Buffer) => tail.push(d));
    try {
      await until(
        `influxd on ${url}`,
        async () => {
          if (c.exitCode !== null) throw new Error(`influxd exited with ${c.exitCode}`);
          const res = await fetch(`${url}/health`);
          return res.ok;
        },
        { ms: 30_000, everyMs: 100 },
      );
    } catch (err) {
      await stopChild(c, 'SIGKILL');
      throw new Error(`${(err as Error).message}\n--- influxd output ---\n${tail.text()}`);
    }
  };

  const stop = async (): Promise<void> => {
    if (child) await stopChild(child, 'SIGINT');
    child = undefined;
  };

  await start();
  return {
    url,
    host,
    port,
    dataDir,
    pid: () => child?.pid,
    start,
    stop,
    kill: async () => {
      if (child) await stopChild(child, 'SIGKILL');
      child = undefined;
    },
    dispose: async () => {
      await stop();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
    setup: async (s = {}) => {
      const org = s.org ?? 'homeiq-test';
      const bucket = s.bucket ?? 'homeassistant';
      const res = await fetch(`${url}/api/v2/setup`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          username: 'homeiq-test',
          password: 'homeiq-test-password',
          org,
          bucket,
          retentionPeriodSeconds: s.retentionSeconds ?? 0,
        }),
      });
      if (res.status !== 201) throw new Error(`influxd setup answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { auth: { token: string }; org: { id: string }; bucket: { id: string } };
      return { token: body.auth.token, org, orgId: body.org.id, bucket, bucketId: body.bucket.id };
    },
  };
}
