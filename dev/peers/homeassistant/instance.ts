// Provisions, starts, onboards, restarts and stops a real Home Assistant Core from PyPI.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onboard, wsCommand } from './onboarding.js';
import { provisionHomeAssistant, type HaRole } from './provision.js';
import { request, type HaEndpoint } from './rest.js';
import { until } from '../../until.js';
import { freePort } from '../process.js';

const PEER_DIR = dirname(fileURLToPath(import.meta.url));
const CONFIG_TEMPLATE = join(PEER_DIR, 'config', 'configuration.yaml');
const PORT_TOKEN = '__HOMEIQ_HTTP_PORT__';
/** Default bound for one start (first start measured at ~5 s; see README). */
const DEFAULT_START_TIMEOUT_MS = 120_000;
/** How long stop() waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 30_000;
const LOG_TAIL_LINES = 40;

/** A running Home Assistant Core started by {@link startHomeAssistant}. */
export interface RealHa extends HaEndpoint {
  /** WebSocket API URL, `ws://<host>:<port>/api/websocket`. */
  wsUrl: string;
  /** Home Assistant version actually running (e.g. `2025.4.4`). */
  version: string;
  /** Which line of VERSIONS it is. */
  role: HaRole;
  /** The PID of the Home Assistant process (for CPU and memory readings); changes with restart(). */
  pid(): number | undefined;
  /** The temporary config dir (configuration.yaml, .storage/, home-assistant_v2.db, logs). */
  configDir: string;
  /** TCP port HA listens on; stays the same across restart(). */
  port: number;
  /** File with HA's stdout+stderr for all starts of this instance. */
  logFile: string;
  /**
   * SIGTERM, wait for exit (SIGKILL after 30 s), then delete configDir unless
   * `keepConfigDir` was set. Idempotent. The instance cannot be restarted after it.
   */
  stop(): Promise<void>;
  /**
   * Stop HA (SIGTERM) and start it again on the same config dir and port; resolves
   * once it is RUNNING again. The same {@link token} keeps working; WebSocket
   * clients are disconnected and must reconnect.
   */
  restart(): Promise<void>;
}

/** Options of {@link startHomeAssistant}. */
export interface StartHomeAssistantOptions {
  /** Which version of VERSIONS (default `main`, the current one; `floor` is the oldest supported). */
  role?: HaRole;
  /** Address HA binds to and the URLs use (default `127.0.0.1`). Use loopback only. */
  host?: string;
  /** Bound for each start, onboarding included (default 120 s). */
  startTimeoutMs?: number;
  /** Keep configDir after stop() (default false; also kept if start fails). */
  keepConfigDir?: boolean;
  /**
   * YAML appended to the configuration (top-level keys not in the template), e.g. an `influxdb:` block. Its
   * integrations' requirements must be in the venv (provision.sh's EXTRA_INTEGRATIONS).
   */
  extraConfig?: string;
}

// ---------------------------------------------------------------------------
// process handling

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Never leave a Home Assistant behind when the test process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

async function logTail(file: string, lines = LOG_TAIL_LINES): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitExit(child, STOP_GRACE_MS))) {
    child.kill('SIGKILL');
    await waitExit(child, 10_000);
  }
}

/** Env for HA: without Supervisor variables (they would make HA set up hassio). */
function haEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['SUPERVISOR', 'SUPERVISOR_TOKEN', 'HASSIO', 'HASSIO_TOKEN']) delete env[key];
  return env;
}

// ---------------------------------------------------------------------------
// start / onboarding

interface Instance {
  python: string;
  host: string;
  port: number;
  url: string;
  configDir: string;
  logFile: string;
  startTimeoutMs: number;
  child: ChildProcess | undefined;
}

function spawnHa(inst: Instance): ChildProcess {
  const fd = openSync(inst.logFile, 'a');
  try {
    const child = spawn(
      inst.python,
      [
        '-m',
        'homeassistant',
        '--config',
        inst.configDir,
        '--skip-pip',
        '--log-no-color',
        '--log-file',
        join(inst.configDir, 'home-assistant.log'),
      ],
      { stdio: ['ignore', fd, fd], env: haEnv(), cwd: inst.configDir },
    );
    // Do not keep the test process alive for a forgotten HA; the exit hook kills it.
    child.unref();
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    inst.child = child;
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Waits on HA: stops at once when it exits, gives up at the deadline; errors include the tail of HA's log. */
function untilHa<T>(inst: Instance, what: string, deadline: number, probe: () => Promise<T | undefined>): Promise<T> {
  return until(`Home Assistant: ${what}`, probe, {
    ms: Math.max(0, deadline - Date.now()),
    everyMs: 200,
    abort: () => {
      const child = inst.child;
      if (child === undefined) return 'not running';
      if (child.exitCode === null && child.signalCode === null) return undefined;
      return `exited (${child.signalCode ?? `code ${String(child.exitCode)}`})`;
    },
    context: async () => `Log ${inst.logFile}, tail:\n${await logTail(inst.logFile)}`,
  }) as Promise<T>;
}

/** Wait until /api/config says RUNNING; returns the reported version. */
async function waitRunning(inst: Instance, token: string, deadline: number): Promise<string> {
  return untilHa(inst, 'state RUNNING', deadline, async () => {
    const cfg = (await request(`${inst.url}/api/config`, 'GET', token, undefined, '', 5_000)) as {
      state?: string;
      version?: string;
    };
    return cfg.state === 'RUNNING' ? (cfg.version ?? 'unknown') : undefined;
  });
}

/**
 * Start a fresh Home Assistant Core (provisioning the venv first if needed),
 * onboard it and mint a long-lived admin token.
 *
 * Copies config/configuration.yaml into a new temp dir (`$TMPDIR/homeiq-ha-*`),
 * picks a free port, runs `python -m homeassistant --config <dir> --skip-pip`,
 * onboards over HTTP, waits for core state RUNNING, then creates a long-lived
 * access token with the WebSocket command `auth/long_lived_access_token`.
 *
 * @throws Error with the tail of HA's log if HA exits or is not ready within `startTimeoutMs`.
 */
export async function startHomeAssistant(opts: StartHomeAssistantOptions = {}): Promise<RealHa> {
  const host = opts.host ?? '127.0.0.1';
  const startTimeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const role = opts.role ?? 'main';
  const { pythonBinary: python, version: expectedVersion } = await provisionHomeAssistant(role);
  installExitHook();

  const configDir = await mkdtemp(join(tmpdir(), 'homeiq-ha-'));
  const port = await freePort(host);
  const url = `http://${hostForUrl(host)}:${port}`;
  const inst: Instance = {
    python,
    host,
    port,
    url,
    configDir,
    logFile: join(configDir, 'homeiq-ha.out.log'),
    startTimeoutMs,
    child: undefined,
  };

  const template = await readFile(CONFIG_TEMPLATE, 'utf8');
  if (!template.includes(PORT_TOKEN)) throw new Error(`${CONFIG_TEMPLATE} lacks the ${PORT_TOKEN} token`);
  const config = `${template
    .replaceAll(PORT_TOKEN, String(port))
    .replace(/server_host: 127\.0\.0\.1/, `server_host: ${host}`)}${opts.extraConfig ? `\n${opts.extraConfig}\n` : ''}`;
  await writeFile(join(configDir, 'configuration.yaml'), config);
  await mkdir(join(configDir, '.storage'));
  await writeFile(
    join(configDir, '.storage', 'onboarding'),
    JSON.stringify({ version: 4, minor_version: 1, key: 'onboarding', data: { done: ['core_config'] } }, null, 2),
  );
  // The network integration's adapter choice (Settings > System > Network), set to loopback only: otherwise
  // HA 2025.x's HTTP client sets up mDNS on the default interface, which fails in a namespace with no
  // multicast route (`analytics` then fails to set up: an "Invalid config" notification). Also keeps HA from
  // multicasting on a CI runner's network.
  await writeFile(
    join(configDir, '.storage', 'core.network'),
    JSON.stringify({ version: 1, minor_version: 1, key: 'core.network', data: { configured_adapters: ['lo'] } }),
  );

  let token: string;
  let version: string;
  try {
    const deadline = Date.now() + startTimeoutMs;
    spawnHa(inst);
    const access = await onboard(inst.url, inst.configDir, (what, probe) => untilHa(inst, what, deadline, probe));
    version = await waitRunning(inst, access, deadline);
    token = (await wsCommand(`ws://${hostForUrl(host)}:${port}/api/websocket`, access, {
      type: 'auth/long_lived_access_token',
      client_name: 'homeiq-tests',
      lifespan: 3650,
    })) as string;
    if (typeof token !== 'string' || token === '') throw new Error('auth/long_lived_access_token returned no token');
    await request(`${url}/api/`, 'GET', token, undefined, '');
    if (version !== expectedVersion)
      throw new Error(`expected Home Assistant ${expectedVersion}, ${version} is running`);
  } catch (err) {
    if (inst.child !== undefined) await killChild(inst.child);
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`startHomeAssistant failed (config dir kept: ${configDir}): ${msg}`, { cause: err });
  }

  let stopped = false;
  const ha: RealHa = {
    url,
    wsUrl: `ws://${hostForUrl(host)}:${port}/api/websocket`,
    token,
    version,
    role,
    pid: () => inst.child?.pid,
    configDir,
    port,
    logFile: inst.logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (inst.child !== undefined) await killChild(inst.child);
      if (opts.keepConfigDir !== true) await rm(configDir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      if (inst.child !== undefined) await killChild(inst.child);
      spawnHa(inst);
      try {
        await waitRunning(inst, token, Date.now() + startTimeoutMs);
      } catch (err) {
        if (inst.child !== undefined) await killChild(inst.child);
        throw err;
      }
    },
  };
  return ha;
}
