/**
 * The ingestor's internal HTTP API as the add-on serves it, for the tests of its routes: the real app on its own
 * loopback address and the real identity check, which asks the Supervisor emulator about the caller's address. The
 * three HomeIQ add-ons are registered at the addresses given; a test calls from one of them. Not a test file itself.
 */
import {
  createLogger,
  Health,
  HttpService,
  httpRequestRaw,
  LogSecrets,
  SiblingIdentity,
  SupervisorClient,
} from '@homeiq/shared';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventCounter } from '../../homeiq-ingestor/src/event-counter.js';
import type { HaSocketStats } from '../../homeiq-ingestor/src/ha/ha-socket.js';
import { createApp, type AppDeps } from '../../homeiq-ingestor/src/http/app.js';
import type { EventStream } from '../../homeiq-ingestor/src/http/event-stream.js';
import { Quarantine } from '../../homeiq-ingestor/src/influx/quarantine.js';
import type { WriterStats } from '../../homeiq-ingestor/src/influx/writer.js';
import type { EncoderStats } from '../../homeiq-ingestor/src/points/event-encoder.js';
import { Spool } from '../../homeiq-ingestor/src/spool/spool.js';
import { REPO_ROOT } from '../../dev/addon-process.js';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from '../../dev/supervisor/index.js';

export const quietLog = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });

/** The loopback addresses the Supervisor emulator reports for the three add-ons. */
export interface SiblingAddresses {
  ingestor: string;
  admin: string;
  influxdb: string;
}

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads response fields directly; typing each body adds nothing
  json: () => any;
}

export interface IngestorApi {
  emulator: SupervisorEmulator;
  /** The admin add-on as registered (a test may unregister it and register it again elsewhere). */
  admin: RegisteredAddon;
  http: HttpService;
  /** `http://<ingestor address>:<port>` */
  base: string;
  /** A request from `from`; a JSON body unless `body` is a string (then sent as is, as `type`). */
  call(path: string, from: string, opts?: { method?: string; body?: unknown; type?: string }): Promise<ApiResponse>;
  stop(): Promise<void>;
}

/** An ingestor at rest: connected, nothing received, encoded or written (each test sets what it is about). */
export const idleHaStats = (): HaSocketStats => ({
  connected: true,
  haVersion: '2026.1.0',
  connects: 1,
  reconnects: 0,
  badFrames: 0,
  invalidMessages: {},
  handlerErrors: 0,
  unknownMessages: 0,
  lastError: undefined,
});
export const idleEncoderStats = (): EncoderStats => ({ encoded: 0, filtered: 0, dropped: 0, problems: {} });
export const idleWriterStats = (): WriterStats => ({
  written: 0,
  batches: 0,
  requests: 0,
  retries: 0,
  bisections: 0,
  quarantined: 0,
  lastError: undefined,
  lastSuccessAt: undefined,
  lastBatchMs: undefined,
  failingSince: undefined,
});

/** The counters of an idle ingestor, as the app reads them. */
export const idleCounters = (): Pick<AppDeps, 'counter' | 'ha' | 'encoder' | 'writer'> => ({
  counter: new EventCounter(),
  ha: { stats: idleHaStats },
  encoder: { stats: idleEncoderStats },
  writer: { stats: idleWriterStats },
});

/** Serves `createApp(deps)` with the identity check as main.ts wires it (only the admin sibling is let in). */
export async function serveIngestorApi(
  ip: SiblingAddresses,
  deps: Omit<AppDeps, 'identity' | 'log'>,
): Promise<IngestorApi> {
  const emulator = await startSupervisorEmulator({});
  const self = emulator.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'), ip: ip.ingestor });
  const admin = emulator.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: ip.admin });
  emulator.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-influxdb/config.yaml'), ip: ip.influxdb });
  const supervisor = new SupervisorClient({ baseUrl: emulator.url, token: self.token, localAddress: ip.ingestor });
  const identity = new SiblingIdentity(supervisor, 'homeiq-ingestor', ['homeiq-admin']);
  const http = new HttpService({
    name: 'http',
    host: ip.ingestor,
    port: 0,
    log: quietLog,
    app: createApp({ ...deps, identity, log: quietLog }),
  });
  try {
    await http.start();
  } catch (err) {
    await emulator.stop();
    throw err;
  }
  const base = `http://${ip.ingestor}:${http.port()}`;
  return {
    emulator,
    admin,
    http,
    base,
    async call(path, from, opts = {}) {
      const body =
        opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      const res = await httpRequestRaw(`${base}${path}`, {
        method: opts.method ?? 'GET',
        headers: body !== undefined ? { 'Content-Type': opts.type ?? 'application/json' } : {},
        localAddress: from,
        timeoutMs: 10_000,
        ...(body !== undefined ? { body } : {}),
      });
      const text = res.body.toString('utf8');
      return { status: res.status, json: () => JSON.parse(text || '{}') };
    },
    async stop() {
      await http.stop();
      await emulator.stop();
    },
  };
}

export interface StoredApi extends IngestorApi {
  dir: string;
  spool: Spool;
  quarantine: Quarantine;
  stream: EventStream;
}

/**
 * The API of an idle ingestor over a real spool and quarantine (in a new temporary folder) and `stream`;
 * stop() also closes the stream, stops the spool and removes the folder.
 */
export async function serveIngestorApiOnStores(ip: SiblingAddresses, stream: EventStream): Promise<StoredApi> {
  const dir = await mkdtemp(join(tmpdir(), 'homeiq-http-api-'));
  const spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 1 << 26, log: quietLog });
  const health = new Health();
  const quarantine = new Quarantine({ file: join(dir, 'quarantine.jsonl'), maxBytes: 1 << 20, log: quietLog, health });
  const cleanup = async (): Promise<void> => {
    stream.close();
    await spool.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await spool.start();
    await quarantine.start();
    const api = await serveIngestorApi(ip, { ...idleCounters(), spool, quarantine, health, stream });
    return {
      ...api,
      dir,
      spool,
      quarantine,
      stream,
      async stop() {
        await api.stop();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
