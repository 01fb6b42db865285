/**
 * A real Home Assistant Core, installed from PyPI, as a test peer.
 *
 * - {@link provisionHomeAssistant} builds (once, cached) a virtualenv with the
 *   pinned Home Assistant version and every Python requirement our config needs.
 * - {@link startHomeAssistant} runs it on 127.0.0.1 with a fresh config dir,
 *   onboards it over HTTP and mints a long-lived admin access token.
 * - {@link createStateDriver} changes helper entities at a fixed rate through
 *   REST service calls, so `state_changed` events flow.
 * - {@link haRest} is a small authenticated REST helper.
 *
 * See tests/peers/homeassistant/README.md for what is installed and timings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const PEER_DIR = join(dirname(fileURLToPath(import.meta.url)), 'homeassistant');
const PROVISION_SCRIPT = join(PEER_DIR, 'provision.sh');
const CONFIG_TEMPLATE = join(PEER_DIR, 'config', 'configuration.yaml');
const PORT_TOKEN = '__HOMEIQ_HTTP_PORT__';

/** Bound for provision.sh (a cold build takes ~30-90 s; pip may be slow). */
const PROVISION_TIMEOUT_MS = 20 * 60_000;
/** Default bound for one start (first start measured at ~5 s; see README). */
const DEFAULT_START_TIMEOUT_MS = 120_000;
/** How long stop() waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 30_000;
const LOG_TAIL_LINES = 40;

/** Credentials of the owner (admin) user created by onboarding. */
export const HA_TEST_USER = {
  name: 'HomeIQ Test',
  username: 'homeiq',
  password: 'homeiq-test-password',
} as const;

/** The helper entities of config/configuration.yaml that {@link createStateDriver} changes by default. */
export const DEFAULT_DRIVER_ENTITIES: readonly string[] = [
  'input_number.test_temperature',
  'input_number.test_humidity',
  'input_number.test_power',
  'input_boolean.test_switch',
  'input_select.test_mode',
  'input_text.test_note',
];

/**
 * Entities derived from the helpers by templates; they change when the driver
 * changes their source (so one service call can cause several `state_changed`).
 */
export const DERIVED_ENTITIES: Readonly<Record<string, readonly string[]>> = {
  'input_number.test_temperature': ['sensor.test_temperature_sensor', 'weather.test_weather'],
  'input_number.test_humidity': ['sensor.test_humidity_sensor', 'weather.test_weather'],
  'input_number.test_power': ['sensor.test_power_sensor'],
  'input_boolean.test_switch': ['binary_sensor.test_occupancy', 'weather.test_weather'],
  'input_select.test_mode': ['sensor.test_mode_text'],
  'input_text.test_note': [],
};

/** Where a Home Assistant answers and how to authenticate; what {@link haRest} and the driver need. */
export interface HaEndpoint {
  /** Base HTTP URL without trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Bearer token (a long-lived access token of an admin user). */
  token: string;
}

/** A running Home Assistant Core started by {@link startHomeAssistant}. */
export interface RealHa extends HaEndpoint {
  /** WebSocket API URL, `ws://<host>:<port>/api/websocket`. */
  wsUrl: string;
  /** Home Assistant version actually running (e.g. `2024.3.3`). */
  version: string;
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
  /** Address HA binds to and the URLs use (default `127.0.0.1`). Use loopback only. */
  host?: string;
  /** Bound for each start, onboarding included (default 120 s). */
  startTimeoutMs?: number;
  /** Keep configDir after stop() (default false; also kept if start fails). */
  keepConfigDir?: boolean;
}

/** Options of {@link createStateDriver}. */
export interface StateDriverOptions {
  /** Service calls per second over all entities (> 0). */
  ratePerSecond: number;
  /**
   * Entities to change, round-robin (default {@link DEFAULT_DRIVER_ENTITIES}).
   * Supported domains: input_number (set_value), input_boolean (toggle),
   * input_select (select_next), input_text (set_value), counter (increment).
   */
  entities?: readonly string[];
  /** Stop by itself after this many calls (default: no count bound). */
  maxCalls?: number;
  /** Stop by itself after this long (default 300 000 ms; always bounded). */
  durationMs?: number;
}

/** Outcome of a state driver run. */
export interface StateDriverResult {
  /** Service calls that HA answered with 2xx. */
  sent: number;
  /** Service calls that failed (HTTP error or network error). */
  failed: number;
  /** The first few error messages, for assertions and debugging. */
  errors: string[];
}

/** Changes helper states at a fixed rate; see {@link createStateDriver}. */
export interface StateDriver {
  /** Begin issuing calls (no-op if already started). */
  start(): void;
  /** Stop issuing calls, wait for the ones in flight, and report. Safe to call after it stopped by itself. */
  stop(): Promise<StateDriverResult>;
  /** Resolves when the driver has stopped, by stop() or by its maxCalls/durationMs bound. */
  readonly done: Promise<StateDriverResult>;
}

// ---------------------------------------------------------------------------
// provisioning

/**
 * Run tests/peers/homeassistant/provision.sh: build or reuse the cached venv
 * (`${HOMEIQ_CACHE:-~/.cache/homeiq}/homeassistant/<version>/venv`). Its
 * `[ha-provision]` progress lines go to this process's stderr. Takes ~20 ms
 * when the venv is complete, ~30-90 s when it has to be built.
 *
 * @returns the venv's python and the Home Assistant version it holds.
 */
export async function provisionHomeAssistant(): Promise<{ python: string; version: string }> {
  const version = (await readFile(join(PEER_DIR, 'VERSION'), 'utf8')).trim();
  const python = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [PROVISION_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), PROVISION_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`provision.sh could not run: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n');
      const last = lines[lines.length - 1] ?? '';
      if (code === 0 && last !== '') resolve(last);
      else
        reject(
          new Error(
            `provision.sh failed (${signal ?? `exit ${String(code)}`}); its [ha-provision] ERROR line on stderr names the step and log`,
          ),
        );
    });
  });
  return { python, version };
}

// ---------------------------------------------------------------------------
// REST

/**
 * Authenticated call to HA's REST API.
 *
 * @param path e.g. `/api/states` or `/api/services/input_boolean/toggle`
 * @param body sent as JSON when given
 * @returns the parsed JSON answer (or the text when it is not JSON)
 * @throws Error with method, path, status and body on a non-2xx answer
 */
export async function haRest<T = unknown>(ha: HaEndpoint, method: string, path: string, body?: unknown): Promise<T> {
  return (await request(`${ha.url}${path}`, method, ha.token, body === undefined ? undefined : JSON.stringify(body), 'application/json')) as T;
}

async function request(
  url: string,
  method: string,
  token: string | undefined,
  body: string | undefined,
  contentType: string,
  timeoutMs = 15_000,
): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = contentType;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // fetch() hides the reason (ECONNREFUSED, timeout, ...) in `cause`.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const reason = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    throw new Error(`${method} ${new URL(url).pathname}: ${reason}`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) throw new HaHttpError(method, url, res.status, text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A non-2xx answer from Home Assistant's HTTP API. */
export class HaHttpError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, url: string, status: number, body: string) {
    super(`${method} ${new URL(url).pathname} -> HTTP ${status}: ${body.slice(0, 300)}`);
    this.name = 'HaHttpError';
    this.status = status;
    this.body = body;
  }
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

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
// WebSocket (only for minting the long-lived token)

async function wsCommand(wsUrl: string, token: string, command: Record<string, unknown>, timeoutMs = 15_000): Promise<unknown> {
  const ws = new WebSocket(wsUrl);
  try {
    return await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`WebSocket ${String(command['type'])}: no answer within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      ws.on('error', fail);
      ws.on('close', () => fail(new Error(`WebSocket closed before ${String(command['type'])} answered`)));
      ws.on('message', (data: WebSocket.RawData) => {
        const parsed = JSON.parse(data.toString()) as unknown;
        for (const msg of (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>) {
          if (msg['type'] === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: token }));
          else if (msg['type'] === 'auth_invalid') fail(new Error(`WebSocket auth_invalid: ${String(msg['message'])}`));
          else if (msg['type'] === 'auth_ok') ws.send(JSON.stringify({ id: 1, ...command }));
          else if (msg['type'] === 'result' && msg['id'] === 1) {
            clearTimeout(timer);
            if (msg['success'] === true) resolve(msg['result']);
            else reject(new Error(`WebSocket ${String(command['type'])} failed: ${JSON.stringify(msg['error'])}`));
          }
        }
      });
    });
  } finally {
    ws.removeAllListeners('close');
    ws.on('error', () => undefined);
    ws.close();
  }
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
      ['-m', 'homeassistant', '--config', inst.configDir, '--skip-pip', '--log-no-color', '--log-file', join(inst.configDir, 'home-assistant.log')],
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

/**
 * Poll `probe` until it returns a value other than undefined, failing early when
 * HA exits and after the deadline; errors include the tail of HA's log.
 */
async function until<T>(inst: Instance, what: string, deadline: number, probe: () => Promise<T | undefined>): Promise<T> {
  let lastError = '';
  for (;;) {
    const child = inst.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
      const how = child === undefined ? 'not running' : `exited (${child.signalCode ?? `code ${String(child.exitCode)}`})`;
      throw new Error(`Home Assistant ${how} while waiting for ${what}. Log ${inst.logFile}, tail:\n${await logTail(inst.logFile)}`);
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Home Assistant: ${what} not reached within ${inst.startTimeoutMs} ms` +
          `${lastError === '' ? '' : ` (last error: ${lastError})`}. Log ${inst.logFile}, tail:\n${await logTail(inst.logFile)}`,
      );
    }
    await sleep(200);
  }
}

/** Wait until /api/config says RUNNING; returns the reported version. */
async function waitRunning(inst: Instance, token: string, deadline: number): Promise<string> {
  return until(inst, 'state RUNNING', deadline, async () => {
    const cfg = (await request(`${inst.url}/api/config`, 'GET', token, undefined, '', 5_000)) as { state?: string; version?: string };
    return cfg.state === 'RUNNING' ? (cfg.version ?? 'unknown') : undefined;
  });
}

/**
 * Onboarding over HTTP, as the frontend does it:
 *  1. POST /api/onboarding/users  -> auth_code (creates the owner/admin user)
 *  2. POST /auth/token (authorization_code) -> short-lived access token
 *  3. POST /api/onboarding/analytics (analytics stay disabled)
 *  4. POST /api/onboarding/integration
 * The core_config step is pre-marked done in .storage/onboarding: doing it over
 * HTTP would set up google_translate, met, radio_browser and shopping_list,
 * which need the network and packages we do not install.
 */
async function onboard(inst: Instance, deadline: number): Promise<string> {
  const clientId = `${inst.url}/`;
  const steps = await until(inst, 'onboarding API', deadline, async () => {
    try {
      return (await request(`${inst.url}/api/onboarding`, 'GET', undefined, undefined, '', 5_000)) as Array<{ step: string; done: boolean }>;
    } catch (err) {
      if (err instanceof HaHttpError && err.status === 404) return undefined; // views not registered yet
      throw err;
    }
  });
  if (steps.find((s) => s.step === 'user')?.done !== false) throw new Error(`Home Assistant in ${inst.configDir} is already onboarded`);

  const { auth_code: userCode } = (await request(
    `${inst.url}/api/onboarding/users`,
    'POST',
    undefined,
    JSON.stringify({ client_id: clientId, language: 'en', ...HA_TEST_USER }),
    'application/json',
  )) as { auth_code: string };
  const { access_token: access } = (await request(
    `${inst.url}/auth/token`,
    'POST',
    undefined,
    new URLSearchParams({ grant_type: 'authorization_code', code: userCode, client_id: clientId }).toString(),
    'application/x-www-form-urlencoded',
  )) as { access_token: string };
  await request(`${inst.url}/api/onboarding/analytics`, 'POST', access, '{}', 'application/json');
  await request(
    `${inst.url}/api/onboarding/integration`,
    'POST',
    access,
    JSON.stringify({ client_id: clientId, redirect_uri: `${clientId}?auth_callback=1` }),
    'application/json',
  );
  const after = (await request(`${inst.url}/api/onboarding`, 'GET', undefined, undefined, '')) as Array<{ step: string; done: boolean }>;
  const pending = after.filter((s) => !s.done).map((s) => s.step);
  if (pending.length > 0) throw new Error(`Home Assistant onboarding incomplete: ${pending.join(', ')}`);
  return access;
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
  const { python, version: expectedVersion } = await provisionHomeAssistant();
  installExitHook();

  const configDir = await mkdtemp(join(tmpdir(), 'homeiq-ha-'));
  const port = await freePort(host);
  const url = `http://${hostForUrl(host)}:${port}`;
  const inst: Instance = { python, host, port, url, configDir, logFile: join(configDir, 'homeiq-ha.out.log'), startTimeoutMs, child: undefined };

  const template = await readFile(CONFIG_TEMPLATE, 'utf8');
  if (!template.includes(PORT_TOKEN)) throw new Error(`${CONFIG_TEMPLATE} lacks the ${PORT_TOKEN} token`);
  const config = template.replaceAll(PORT_TOKEN, String(port)).replace(/server_host: 127\.0\.0\.1/, `server_host: ${host}`);
  await writeFile(join(configDir, 'configuration.yaml'), config);
  await mkdir(join(configDir, '.storage'));
  await writeFile(
    join(configDir, '.storage', 'onboarding'),
    JSON.stringify({ version: 4, minor_version: 1, key: 'onboarding', data: { done: ['core_config'] } }, null, 2),
  );

  let token: string;
  let version: string;
  try {
    const deadline = Date.now() + startTimeoutMs;
    spawnHa(inst);
    const access = await onboard(inst, deadline);
    version = await waitRunning(inst, access, deadline);
    token = (await wsCommand(`ws://${hostForUrl(host)}:${port}/api/websocket`, access, {
      type: 'auth/long_lived_access_token',
      client_name: 'homeiq-tests',
      lifespan: 3650,
    })) as string;
    if (typeof token !== 'string' || token === '') throw new Error('auth/long_lived_access_token returned no token');
    await request(`${url}/api/`, 'GET', token, undefined, '');
    if (version !== expectedVersion) throw new Error(`expected Home Assistant ${expectedVersion}, ${version} is running`);
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

// ---------------------------------------------------------------------------
// state driver

interface EntityPlan {
  entityId: string;
  domain: string;
  service: string;
  calls: number;
  /** input_number: grid index of the current value. */
  index: number;
  min: number;
  step: number;
  steps: number;
  decimals: number;
  busy: Promise<void>;
}

const DRIVER_SERVICES: Record<string, string> = {
  input_number: 'set_value',
  input_boolean: 'toggle',
  input_select: 'select_next',
  input_text: 'set_value',
  counter: 'increment',
};
const DEFAULT_DRIVER_DURATION_MS = 300_000;
const MAX_ERRORS_KEPT = 10;

/**
 * Drive helper entities through REST service calls at `ratePerSecond` calls/s,
 * round-robin over `entities`. Each call changes its entity's state:
 * input_number.set_value walks a grid between the entity's min and max (never
 * repeating the previous value), input_boolean.toggle, input_select.select_next,
 * input_text.set_value `homeiq-<n>`, counter.increment. Calls to one entity are
 * sequential (so each lands as a change); different entities overlap. If HA is
 * slower than the rate, the driver falls behind rather than queueing.
 *
 * Always bounded: it stops by itself after `maxCalls` calls or `durationMs`
 * (default 300 s), whichever comes first.
 *
 * @throws Error synchronously for an unsupported entity domain or a bad rate.
 */
export function createStateDriver(ha: HaEndpoint, options: StateDriverOptions): StateDriver {
  const { ratePerSecond } = options;
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new Error(`ratePerSecond must be > 0, got ${ratePerSecond}`);
  const entities = options.entities ?? DEFAULT_DRIVER_ENTITIES;
  if (entities.length === 0) throw new Error('createStateDriver: no entities');
  const plans: EntityPlan[] = entities.map((entityId) => {
    const domain = entityId.split('.')[0] ?? '';
    const service = DRIVER_SERVICES[domain];
    if (service === undefined) throw new Error(`createStateDriver: unsupported domain of ${entityId} (supported: ${Object.keys(DRIVER_SERVICES).join(', ')})`);
    return { entityId, domain, service, calls: 0, index: 0, min: 0, step: 1, steps: 0, decimals: 0, busy: Promise.resolve() };
  });
  const maxCalls = options.maxCalls ?? Number.POSITIVE_INFINITY;
  const durationMs = options.durationMs ?? DEFAULT_DRIVER_DURATION_MS;
  const result: StateDriverResult = { sent: 0, failed: 0, errors: [] };
  let stopping = false;
  let started = false;
  let wake: (() => void) | undefined;
  let resolveDone!: (r: StateDriverResult) => void;
  const done = new Promise<StateDriverResult>((resolve) => (resolveDone = resolve));

  const recordError = (msg: string): void => {
    result.failed += 1;
    if (result.errors.length < MAX_ERRORS_KEPT) result.errors.push(msg);
  };

  const prepare = async (): Promise<void> => {
    for (const plan of plans) {
      if (plan.domain !== 'input_number') continue;
      const st = await haRest<{ state: string; attributes: { min: number; max: number; step: number } }>(ha, 'GET', `/api/states/${plan.entityId}`);
      const { min, max, step } = st.attributes;
      plan.min = min;
      plan.step = step;
      plan.steps = Math.max(1, Math.floor((max - min) / step + 1e-9));
      plan.decimals = (String(step).split('.')[1] ?? '').length;
      plan.index = Math.min(plan.steps, Math.max(0, Math.round((Number(st.state) - min) / step)));
    }
  };

  const body = (plan: EntityPlan): Record<string, unknown> => {
    plan.calls += 1;
    if (plan.domain === 'input_number') {
      // Stride in [1, steps]: the next grid point always differs from the current one.
      plan.index = (plan.index + 1 + Math.floor(plan.steps / 3)) % (plan.steps + 1);
      return { entity_id: plan.entityId, value: Number((plan.min + plan.index * plan.step).toFixed(plan.decimals)) };
    }
    if (plan.domain === 'input_text') return { entity_id: plan.entityId, value: `homeiq-${plan.calls}` };
    return { entity_id: plan.entityId };
  };

  const run = async (): Promise<void> => {
    try {
      await prepare();
    } catch (err) {
      recordError(`prepare: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const interval = 1000 / ratePerSecond;
    const t0 = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let n = 0; !stopping && n < maxCalls; n += 1) {
      const due = t0 + n * interval;
      if (due - t0 >= durationMs) break;
      const wait = due - performance.now();
      if (wait > 1) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (stopping) break;
      }
      const plan = plans[n % plans.length] as EntityPlan;
      await plan.busy;
      if (stopping) break;
      const call = haRest(ha, 'POST', `/api/services/${plan.domain}/${plan.service}`, body(plan)).then(
        () => {
          result.sent += 1;
        },
        (err: unknown) => recordError(`${plan.entityId}: ${err instanceof Error ? err.message : String(err)}`),
      );
      plan.busy = call;
      inFlight.add(call);
      void call.then(() => inFlight.delete(call));
    }
    await Promise.all(inFlight);
  };

  return {
    done,
    start() {
      if (started) return;
      started = true;
      void run()
        .catch((err: unknown) => recordError(`driver: ${err instanceof Error ? err.message : String(err)}`))
        .then(() => resolveDone({ ...result, errors: [...result.errors] }));
    },
    async stop() {
      stopping = true;
      wake?.();
      if (!started) {
        started = true;
        resolveDone({ ...result, errors: [...result.errors] });
      }
      return done;
    },
  };
}
