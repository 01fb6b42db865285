// startHaSimulator: an HTTP server with HA's WebSocket API at /api/websocket
// and a REST subset, plus the fault switches tests need.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import { randomBytes } from 'node:crypto';
import { buildCommands } from './commands';
import { Connection } from './connection';
import { SimCore } from './core';
import { createDemoHome } from './demo-home';
import type { Registries } from './registries';
import { handleRest } from './rest';
import type { Attributes, DemoHome, SetStateOptions, State } from './types';

export interface HaSimulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  token?: string;
  haVersion?: string;
  authTimeoutMs?: number;
  /** HA's MAX_PENDING_MSG (websocket_api/const.py): 4096. */
  maxPendingMessages?: number;
  /** HA's PENDING_MSG_PEAK (1024) and PENDING_MSG_PEAK_TIME (10 s). */
  pendingPeak?: number;
  pendingPeakTimeMs?: number;
  /** Bytes the socket may buffer before the writer waits (HA raises aiohttp's limit to 1 MiB). */
  writeBufferBytes?: number;
  /** aiohttp heartbeat of HA's WebSocketResponse: 55 s. */
  heartbeatMs?: number;
  /** Seed data; the demo home by default. */
  home?: DemoHome;
  /**
   * Behave like HA 2024.3.3, the oldest release the ingestor supports: no last_reported or state_reported, fewer
   * registry and config keys (version-differences.ts). Default: 2025.4.4.
   */
  legacy?: boolean;
  /** Recorder rows kept for history queries. */
  historyLimit?: number;
  /** Client messages kept in `received`. */
  receivedLimit?: number;
  /** Where warnings go (slow consumers, failing listeners); console.warn by default. */
  warn?: (line: string) => void;
}

export type SimRegistries = Pick<
  Registries,
  | 'setEntity'
  | 'setDevice'
  | 'setArea'
  | 'setFloor'
  | 'setLabel'
  | 'removeEntity'
  | 'removeDevice'
  | 'removeArea'
  | 'removeFloor'
  | 'removeLabel'
  | 'entities'
  | 'devices'
  | 'areas'
  | 'floors'
  | 'labels'
>;

export interface HaSimulator {
  url: string;
  wsUrl: string;
  token: string;
  version: string;
  /** Emits state_changed (or state_reported when nothing changed) like HA's state machine. */
  setState(entityId: string, state: string, attributes?: Attributes, opts?: SetStateOptions): void;
  removeState(entityId: string): void;
  fireEvent(eventType: string, data?: Record<string, unknown>): void;
  states(): State[];
  registries: SimRegistries;
  /** Closes every client socket abruptly (no close frame). */
  dropConnections(): void;
  /** Like an HA restart: sockets closed, port down for downMs, then every entity re-added. */
  restart(opts?: { downMs?: number; startupMs?: number }): Promise<void>;
  /** Stops answering (no results, events or pongs) for ms; queued work goes out afterwards. */
  hang(ms: number): void;
  /** Sends `frame` as it is (malformed or hostile input) to every authenticated client. */
  sendRaw(frame: string): void;
  received: Array<{ clientId: number; msg: unknown }>;
  clients(): number;
  stop(): Promise<void>;
}

// The versions whose shapes the simulator speaks: the real-HA peers' main and floor (dev/peers/homeassistant/VERSIONS;
// the conformance test checks both the shapes and that these strings match the peers').
export const DEFAULT_HA_VERSION = '2025.4.4';
export const LEGACY_HA_VERSION = '2024.3.3';

export async function startHaSimulator(opts: HaSimulatorOptions = {}): Promise<HaSimulator> {
  const legacy = opts.legacy ?? false;
  const token = opts.token ?? randomBytes(32).toString('hex');
  const core = new SimCore({
    warn: opts.warn ?? ((line) => console.warn(line)),
    version: opts.haVersion ?? (legacy ? LEGACY_HA_VERSION : DEFAULT_HA_VERSION),
    legacy,
    historyLimit: opts.historyLimit ?? 100_000,
    home: opts.home ?? createDemoHome(),
  });
  const limits = {
    maxPendingMessages: opts.maxPendingMessages ?? 4096,
    pendingPeak: opts.pendingPeak ?? 1024,
    pendingPeakTimeMs: opts.pendingPeakTimeMs ?? 10_000,
    writeBufferBytes: opts.writeBufferBytes ?? 1 << 20,
    authTimeoutMs: opts.authTimeoutMs ?? 10_000,
    heartbeatMs: opts.heartbeatMs ?? 55_000,
  };
  const commands = buildCommands();
  const receivedLimit = opts.receivedLimit ?? 10_000;
  const received: HaSimulator['received'] = [];
  const connections = new Set<Connection>();
  let nextClientId = 1;

  const log = (clientId: number, msg: unknown) => {
    received.push({ clientId, msg });
    if (received.length > receivedLimit) received.splice(0, received.length - receivedLimit);
  };

  const wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false, maxPayload: 4 << 20 });
  const onRequest = (req: Parameters<typeof handleRest>[2], res: Parameters<typeof handleRest>[3]) => {
    handleRest(core, token, req, res).catch((err: unknown) => {
      core.warn(`ha-sim: REST handler failed: ${String(err)}`);
      if (!res.headersSent) res.writeHead(500).end('500 Internal Server Error');
    });
  };
  const makeServer = (): Server => {
    const server = createServer(onRequest);
    server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://sim').pathname !== '/api/websocket') {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new Connection(ws, nextClientId++, core, limits, commands, token, log, (c) =>
          connections.delete(c),
        );
        connections.add(conn);
      });
    });
    return server;
  };
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const closeServer = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const dropAll = () => {
    for (const c of [...connections]) c.terminate();
  };

  core.loadRegistries();
  core.coreState = 'STARTING';
  core.addHomeStates();
  core.coreState = 'RUNNING';
  let server = makeServer();
  const port = await listen(server, opts.port ?? 0);
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let stopped = false;

  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/api/websocket`,
    token,
    version: core.version,
    received,
    registries: core.registries,
    setState: (entityId, state, attributes, setOpts) => void core.states.set(entityId, state, attributes, setOpts),
    removeState: (entityId) => void core.states.remove(entityId),
    fireEvent: (eventType, data) => core.fire(eventType, data ?? {}),
    states: () => core.states.all().map((s) => structuredClone(s.toJSON())),
    clients: () => connections.size,
    hang: (ms) => core.hang(ms),
    sendRaw: (frame) => {
      for (const c of connections) c.sendRawFrame(frame);
    },
    dropConnections: dropAll,

    async restart({ downMs = 0, startupMs = 0 } = {}) {
      core.coreState = 'STOPPING';
      // HA's shutdown cancels every connection handler: clients see the socket die, no close frame.
      dropAll();
      await closeServer(server);
      const survivors = core.states.clear();
      // Persistent notifications live in memory only: a restarted HA shows none.
      core.notifications.clear();
      core.coreState = 'NOT_RUNNING';
      await sleep(downMs);
      if (stopped) return;
      server = makeServer();
      await listen(server, port);
      core.coreState = 'STARTING';
      core.recorder.newRun(core.clock.now());
      await sleep(startupMs);
      // Every entity comes back as new (old_state null) with fresh timestamps, as at HA startup.
      for (const s of survivors) core.states.set(s.entityId, s.state, s.attributes as Attributes);
      core.fire('homeassistant_start');
      core.coreState = 'RUNNING';
      core.fire('homeassistant_started');
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      dropAll();
      wss.close();
      await closeServer(server);
      core.stop();
    },
  };
}
