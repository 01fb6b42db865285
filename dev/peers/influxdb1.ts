/**
 * A real InfluxDB 1.x as a test peer: Debian's `influxdb` package (bookworm: 1.6.7) or 1.8.10 built from the
 * Go module proxy (the release HA users run in the community add-on; the first with `/api/v2/write`).
 * `dev/peers/influxdb1/install.sh` provisions both into the cache; see the README next to it.
 *
 * {@link startInfluxdb1} runs one on loopback in a temp dir with a config of our own (no usage reporting, no
 * UDP/Graphite/collectd/OpenTSDB listeners, no `_internal` monitor database), with authentication on and an
 * admin user created, unless `auth: false`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../until.js';
import { freePort, runScript, stopChild, TailBuffer } from './process.js';

const INSTALL_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'influxdb1', 'install.sh');

/** `debian`: the distribution's package (1.6.7 on bookworm, no `/api/v2/*`); `1.8`: 1.8.10 from source. */
export type Influxdb1Release = 'debian' | '1.8';

/** Installs (or reuses the cached) InfluxDB 1.x; returns the path of its `influxd`. */
export function provisionInfluxdb1(release: Influxdb1Release): Promise<string> {
  return runScript('bash', [INSTALL_SCRIPT, release]);
}

export interface Influxdb1User {
  username: string;
  password: string;
}

/** One statement's result in `/query`'s JSON. */
export interface V1StatementResult {
  statement_id: number;
  series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
  error?: string;
}

export interface V1QueryOptions {
  db?: string;
  rp?: string;
  /** Credentials; the admin's by default (none when auth is off). `null` sends none. */
  user?: Influxdb1User | null;
  /** Timestamps as epoch numbers in this precision (default: RFC 3339 strings). */
  epoch?: 'ns' | 'u' | 'ms' | 's';
}

export interface RealInfluxdb1 {
  release: Influxdb1Release;
  /** What `influxd version` says, e.g. `1.8.10` or `1.6.7~rc0`. */
  version: string;
  url: string;
  host: string;
  port: number;
  dataDir: string;
  /** The admin user (ALL PRIVILEGES), or undefined with `auth: false`. */
  admin: Influxdb1User | undefined;
  /**
   * `POST /query` (InfluxQL; several statements separated by `;`). Resolves with each statement's result;
   * rejects on an HTTP error or a statement error, with InfluxDB's message.
   */
  query(q: string, opts?: V1QueryOptions): Promise<V1StatementResult[]>;
  /** `POST /write` of line protocol (ns precision); rejects unless InfluxDB answers 204. */
  write(db: string, lines: string, opts?: { rp?: string; user?: Influxdb1User | null }): Promise<void>;
  createDatabase(name: string): Promise<void>;
  /** Creates a user with `READ`/`WRITE`/`ALL` on the given databases (admin: ALL PRIVILEGES instead). */
  createUser(
    user: Influxdb1User,
    grants: { db: string; privilege: 'READ' | 'WRITE' | 'ALL' }[],
    admin?: boolean,
  ): Promise<void>;
  /** SIGTERM (1.x shuts down cleanly on it) and wait; the data dir is kept for `start()`. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stops and deletes the data dir (unless it was given by the caller). */
  dispose(): Promise<void>;
}

export interface StartInfluxdb1Options {
  release?: Influxdb1Release;
  /** An influxd binary (skips provisioning); `release` must still say which it is. */
  binary?: string;
  host?: string;
  port?: number;
  /** An existing data dir (kept on dispose); a fresh temp dir otherwise. */
  dataDir?: string;
  /** `[http] auth-enabled` (default true: an admin user is created and used by the helpers). */
  auth?: boolean;
  /** `[http] max-body-size` in bytes (InfluxDB's default: 25,000,000). */
  maxBodySize?: number;
}

/** The config file: everything inside `dataDir`, HTTP and the backup RPC port on loopback, nothing reported. */
export function influxdb1Config(o: {
  dataDir: string;
  host: string;
  port: number;
  rpcPort: number;
  auth: boolean;
  maxBodySize?: number | undefined;
}): string {
  const s = (v: string): string => JSON.stringify(v);
  return [
    // 1.8 reads `reporting-disabled`; Debian's 1.6.7 renamed it `reporting-enabled` (off by default there).
    'reporting-disabled = true',
    'reporting-enabled = false',
    `bind-address = ${s(`${o.host}:${o.rpcPort}`)}`,
    '[meta]',
    `  dir = ${s(join(o.dataDir, 'meta'))}`,
    '[data]',
    `  dir = ${s(join(o.dataDir, 'data'))}`,
    `  wal-dir = ${s(join(o.dataDir, 'wal'))}`,
    '  query-log-enabled = false',
    '[monitor]',
    '  store-enabled = false',
    '[http]',
    `  bind-address = ${s(`${o.host}:${o.port}`)}`,
    `  auth-enabled = ${o.auth}`,
    '  log-enabled = false',
    '  pprof-enabled = false',
    ...(o.maxBodySize !== undefined ? [`  max-body-size = ${o.maxBodySize}`] : []),
    '[logging]',
    '  level = "warn"',
    '  suppress-logo = true',
    '[continuous_queries]',
    '  log-enabled = false',
    '',
  ].join('\n');
}

const q = (name: string): string => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const lit = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Starts a real InfluxDB 1.x on loopback in its own data dir; resolves once `/ping` answers and the admin exists. */
export async function startInfluxdb1(opts: StartInfluxdb1Options = {}): Promise<RealInfluxdb1> {
  const release = opts.release ?? '1.8';
  const binary = opts.binary ?? (await provisionInfluxdb1(release));
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(host));
  const rpcPort = await freePort(host);
  const auth = opts.auth ?? true;
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'homeiq-influxdb1-')));
  const configFile = join(dataDir, 'influxdb.conf');
  await writeFile(configFile, influxdb1Config({ dataDir, host, port, rpcPort, auth, maxBodySize: opts.maxBodySize }));
  const url = `http://${host}:${port}`;
  const admin = auth ? { username: 'homeiq-admin', password: 'homeiq-admin-password' } : undefined;
  const tail = new TailBuffer();
  let child: ChildProcess | undefined;
  let version = '';

  const headers = (user: Influxdb1User | null | undefined): Record<string, string> => {
    const u = user === undefined ? admin : user;
    return u ? { Authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}` } : {};
  };

  const query = async (text: string, o: V1QueryOptions = {}): Promise<V1StatementResult[]> => {
    const form = new URLSearchParams({ q: text });
    if (o.db) form.set('db', o.db);
    if (o.rp) form.set('rp', o.rp);
    if (o.epoch) form.set('epoch', o.epoch);
    const res = await fetch(`${url}/query`, {
      method: 'POST',
      headers: { ...headers(o.user), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const body = (await res.json().catch(() => ({}))) as { results?: V1StatementResult[]; error?: string };
    if (res.status !== 200 || body.error) throw new Error(`InfluxDB 1.x /query answered ${res.status}: ${body.error}`);
    const results = body.results ?? [];
    const failed = results.find((r) => r.error);
    if (failed) throw new Error(`InfluxQL statement ${failed.statement_id} failed: ${failed.error}`);
    return results;
  };

  const start = async (): Promise<void> => {
    const c = spawn(binary, ['run', '-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (d: Buffer) => tail.push(d));
    c.stderr?.on('data', (d: Buffer) => tail.push(d));
    try {
      await until(
        `InfluxDB 1.x on ${url}`,
        async () => {
          if (c.exitCode !== null) throw new Error(`influxd exited with ${c.exitCode}`);
          const res = await fetch(`${url}/ping`);
          version = res.headers.get('x-influxdb-version') ?? version;
          return res.status === 204;
        },
        { ms: 30_000, everyMs: 100 },
      );
    } catch (err) {
      await stopChild(c, 'SIGKILL');
      throw new Error(`${(err as Error).message}\n--- influxd output ---\n${tail.text()}`);
    }
  };

  await start();
  if (admin) {
    // With auth on and no user yet, 1.x lets exactly one statement through unauthenticated: creating an admin.
    const users = await fetch(`${url}/query`, {
      method: 'POST',
      headers: headers(admin),
      body: new URLSearchParams({ q: 'SHOW USERS' }),
    });
    if (users.status !== 200)
      await query(`CREATE USER ${q(admin.username)} WITH PASSWORD ${lit(admin.password)} WITH ALL PRIVILEGES`, {
        user: null,
      });
  }

  return {
    release,
    get version() {
      return version;
    },
    url,
    host,
    port,
    dataDir,
    admin,
    query,
    write: async (db, lines, o = {}) => {
      const u = new URL(`${url}/write`);
      u.searchParams.set('db', db);
      u.searchParams.set('precision', 'ns');
      if (o.rp) u.searchParams.set('rp', o.rp);
      const res = await fetch(u, {
        method: 'POST',
        headers: { ...headers(o.user), 'Content-Type': 'text/plain; charset=utf-8' },
        body: lines,
      });
      if (res.status !== 204) throw new Error(`InfluxDB 1.x /write answered ${res.status}: ${await res.text()}`);
    },
    createDatabase: async (name) => {
      await query(`CREATE DATABASE ${q(name)}`);
    },
    createUser: async (user, grants, isAdmin = false) => {
      const stmts = [`CREATE USER ${q(user.username)} WITH PASSWORD ${lit(user.password)}`];
      if (isAdmin) stmts[0] += ' WITH ALL PRIVILEGES';
      for (const g of grants) stmts.push(`GRANT ${g.privilege} ON ${q(g.db)} TO ${q(user.username)}`);
      await query(stmts.join('; '));
    },
    start,
    stop: async () => {
      if (child) await stopChild(child, 'SIGTERM');
      child = undefined;
    },
    kill: async () => {
      if (child) await stopChild(child, 'SIGKILL');
      child = undefined;
    },
    dispose: async () => {
      if (child) await stopChild(child, 'SIGTERM');
      child = undefined;
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
