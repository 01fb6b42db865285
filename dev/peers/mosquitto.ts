/**
 * A real Mosquitto broker (Debian's package, installed by mosquitto/install.sh) as a test peer: one broker per
 * call, on a loopback address and a free port, with its own configuration and password file in a temp dir.
 * The package's system service is never used.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { until } from '../until.js';
import type { RegisteredAddon, SupervisorEmulator } from '../supervisor/index.js';
import { freePort, runScript, stopChild, TailBuffer } from './process.js';

const HERE = join(dirname(fileURLToPath(import.meta.url)), 'mosquitto');
const INSTALL_SCRIPT = join(HERE, 'install.sh');
const run = promisify(execFile);

/** Installs Debian's mosquitto when it is missing (idempotent); returns the broker's path. */
export function installMosquitto(): Promise<string> {
  return runScript('bash', [INSTALL_SCRIPT]);
}

export interface Mosquitto {
  host: string;
  port: number;
  /** The one user the broker accepts (anonymous clients are refused). */
  username: string;
  password: string;
  /** Its version line, e.g. `mosquitto version 2.0.11`. */
  version: string;
  /** Stops the broker (SIGTERM); `start()` brings it back on the same address and port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its directory. */
  dispose(): Promise<void>;
  /** The broker's recent log lines, to explain a failure. */
  log(): string;
}

export interface StartMosquittoOptions {
  host?: string;
  username?: string;
  password?: string;
}

/** Starts a broker with password authentication on `host` (default 127.0.0.1); resolves once it accepts TCP. */
export async function startMosquitto(opts: StartMosquittoOptions = {}): Promise<Mosquitto> {
  const binary = await installMosquitto();
  const host = opts.host ?? '127.0.0.1';
  const port = await freePort(host);
  const username = opts.username ?? 'homeiq-test';
  const password = opts.password ?? 'mqtt-test-password';
  const dir = await mkdtemp(join(tmpdir(), 'homeiq-mosquitto-'));
  const passwd = join(dir, 'passwd');
  await writeFile(passwd, '', { mode: 0o600 });
  await run(join(dirname(dirname(binary)), 'bin', 'mosquitto_passwd'), ['-b', passwd, username, password]);
  const config = join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      `listener ${port} ${host}`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      // Started as root, mosquitto would switch to the `mosquitto` user, which cannot read this directory.
      `user ${userInfo().username}`,
      'persistence false',
      'log_dest stdout',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      '',
    ].join('\n'),
  );
  const version = (await run(binary, ['-h']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))).stdout
    .split('\n')[0]
    ?.trim();
  const tail = new TailBuffer(200);
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const c = spawn(binary, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (d: Buffer) => tail.push(d));
    c.stderr?.on('data', (d: Buffer) => tail.push(d));
    try {
      await until(`mosquitto on ${host}:${port}`, () => accepts(host, port), {
        ms: 15_000,
        everyMs: 50,
        abort: () => (c.exitCode !== null ? `mosquitto exited with ${c.exitCode}` : undefined),
      });
    } catch (err) {
      await stopChild(c, 'SIGKILL');
      throw new Error(`${(err as Error).message}\n--- mosquitto output ---\n${tail.text()}`);
    }
  };
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child, 'SIGTERM');
    child = undefined;
  };
  await start();
  return {
    host,
    port,
    username,
    password,
    version: version ?? 'mosquitto',
    start,
    stop,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
    log: () => tail.text(),
  };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * What the Mosquitto add-on does with the Supervisor when it starts: registers as the MQTT provider and writes the
 * broker's address and a user for other add-ons (`POST /services/mqtt`). Returns its registration.
 */
export async function provideMqttService(
  supervisor: SupervisorEmulator,
  broker: Pick<Mosquitto, 'host' | 'port' | 'username' | 'password'>,
  ip?: string,
): Promise<RegisteredAddon> {
  const addon = supervisor.registerAddon({ configPath: join(HERE, 'addon.yaml'), ...(ip ? { ip } : {}) });
  const res = await fetch(`${supervisor.url}/services/mqtt`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${addon.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      host: broker.host,
      port: broker.port,
      username: broker.username,
      password: broker.password,
    }),
  });
  if (res.status !== 200) throw new Error(`POST /services/mqtt answered ${res.status}: ${await res.text()}`);
  return addon;
}
