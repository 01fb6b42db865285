/**
 * The Supervisor's Home Assistant WebSocket proxy (`supervisor/api/proxy.py` `websocket()`), in the
 * Supervisor's order: check Core is up (else HTTP 502), accept, `auth_required`, wait for the add-on's
 * `auth` (10 s), answer `auth_invalid` or `auth_ok`, and only then connect and authenticate to Core;
 * if that fails the add-on's socket is simply closed, right after it saw `auth_ok`.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { EmulatorContext } from './context.js';
import { coreIsRunning } from './core-proxy.js';
import { rejectUpgrade } from './http-util.js';
import { DEFAULT_HA_VERSION } from './info.js';
import type { Addon } from './registry.js';
import type { CoreTarget } from './types.js';
import { bridge, closeSocket, sendJson, toBuffer } from './ws-relay.js';

/** aiohttp's default `max_msg_size` for the add-on side; Core's side allows 64 MiB. */
const MAX_MESSAGE_FROM_ADDON = 4 * 1024 * 1024;
const MAX_MESSAGE_FROM_CORE = 64 * 1024 * 1024;
const CORE_HANDSHAKE_TIMEOUT_MS = 10_000;

/** A WebSocket server for `/core/websocket`; one per emulator. */
export function createCoreWsServer(): WebSocketServer {
  return new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_FROM_ADDON });
}

/** Token in the add-on's auth message (`api_password` wins, as in the Supervisor), or undefined. */
function authToken(frame: Buffer, isBinary: boolean): string | undefined {
  if (isBinary) return undefined;
  try {
    const msg = JSON.parse(frame.toString('utf8')) as unknown;
    if (typeof msg !== 'object' || msg === null) return undefined;
    const m = msg as Record<string, unknown>;
    const token = m['api_password'] || m['access_token'];
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Answers client commands whose `type` starts with `supervisor/` or `hassio/` locally (Supervisor
 * 2026.08.0+), forwarding everything else unchanged. HA also accepts a JSON array of commands in one
 * frame; blocked ones are answered and the rest forwarded as a (re-serialised) array.
 */
function blockSupervisorCommands(client: WebSocket): (data: Buffer, isBinary: boolean) => Buffer | null {
  const isBlocked = (m: unknown): m is { id?: unknown; type: string } => {
    if (typeof m !== 'object' || m === null) return false;
    const type = (m as Record<string, unknown>)['type'];
    return typeof type === 'string' && (type.startsWith('supervisor/') || type.startsWith('hassio/'));
  };
  const refuse = (m: { id?: unknown; type: string }): void =>
    sendJson(client, {
      id: m.id,
      type: 'result',
      success: false,
      error: { code: 'unauthorized', message: `Command ${m.type} is not allowed through the Supervisor proxy` },
    });
  return (data, isBinary) => {
    if (isBinary || (!data.includes('supervisor/') && !data.includes('hassio/'))) return data;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch {
      return data;
    }
    if (!Array.isArray(parsed)) {
      if (!isBlocked(parsed)) return data;
      refuse(parsed);
      return null;
    }
    const allowed = parsed.filter((m) => !isBlocked(m));
    if (allowed.length === parsed.length) return data;
    for (const m of parsed) if (isBlocked(m)) refuse(m);
    return allowed.length === 0 ? null : Buffer.from(JSON.stringify(allowed));
  };
}

/** Opens and authenticates a WebSocket to Core with the Supervisor's own token. */
function connectCore(core: CoreTarget, ctx: EmulatorContext): Promise<WebSocket> {
  const url = new URL('api/websocket', core.url.endsWith('/') ? core.url : `${core.url}/`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, {
    localAddress: ctx.host,
    maxPayload: MAX_MESSAGE_FROM_CORE,
    handshakeTimeout: CORE_HANDSHAKE_TIMEOUT_MS,
  });
  const untrack = ctx.track(() => ws.terminate());
  ws.on('close', untrack);
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.terminate();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail('Core WebSocket authentication timed out'), CORE_HANDSHAKE_TIMEOUT_MS);
    const onMessage = (data: WebSocket.RawData): void => {
      let type: unknown;
      try {
        type = (JSON.parse(toBuffer(data).toString('utf8')) as { type?: unknown }).type;
      } catch {
        fail('Core sent invalid JSON during authentication');
        return;
      }
      if (type === 'auth_required') {
        sendJson(ws, { type: 'auth', access_token: core.token });
      } else if (type === 'auth_ok') {
        clearTimeout(timer);
        ws.off('message', onMessage);
        ws.off('close', onEarlyClose);
        ws.off('error', onEarlyClose);
        resolve(ws);
      } else {
        fail(`Core refused authentication: ${String(type)}`);
      }
    };
    const onEarlyClose = (): void => fail('Core WebSocket closed during authentication');
    ws.on('message', onMessage);
    ws.on('close', onEarlyClose);
    ws.on('error', onEarlyClose);
  });
}

/** Runs one add-on session on an accepted `/core/websocket` socket. */
function runSession(client: WebSocket, ctx: EmulatorContext, logAuth: (addon: Addon | undefined) => void): void {
  const core = ctx.core;
  const haVersion = core?.version ?? DEFAULT_HA_VERSION;
  let phase: 'auth' | 'connecting' | 'done' = 'auth';
  const queued: Array<[Buffer, boolean]> = [];
  let queuedBytes = 0;
  const untrack = ctx.track(() => client.terminate());

  const timer = setTimeout(() => {
    if (phase !== 'auth') return;
    phase = 'done';
    logAuth(undefined);
    closeSocket(client);
  }, ctx.wsAuthTimeoutMs);
  client.on('close', () => {
    clearTimeout(timer);
    phase = 'done';
    untrack();
  });
  client.on('error', () => client.terminate());

  const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    const frame = toBuffer(data);
    if (phase === 'connecting') {
      queuedBytes += frame.length;
      if (queuedBytes > ctx.maxWsBufferedBytes) client.terminate();
      else queued.push([frame, isBinary]);
      return;
    }
    if (phase !== 'auth') return;
    clearTimeout(timer);
    const addon = ctx.registry.fromToken(authToken(frame, isBinary));
    if (!addon?.config.homeassistant_api) {
      phase = 'done';
      logAuth(addon);
      sendJson(client, { type: 'auth_invalid', message: 'Invalid access' });
      closeSocket(client);
      return;
    }
    phase = 'connecting';
    logAuth(addon);
    sendJson(client, { type: 'auth_ok', ha_version: haVersion });
    // Read no further than needed while Core is not there yet; what already arrived is queued.
    client.pause();
    if (!core) {
      closeSocket(client);
      return;
    }
    connectCore(core, ctx).then(
      (upstream) => {
        client.off('message', onMessage);
        if (phase !== 'connecting') {
          closeSocket(upstream);
          return;
        }
        phase = 'done';
        const relay = bridge(client, upstream, {
          maxBufferedBytes: ctx.maxWsBufferedBytes,
          transformA: blockSupervisorCommands(client),
        });
        for (const [queuedFrame, queuedBinary] of queued.splice(0)) relay.fromA(queuedFrame, queuedBinary);
        client.resume();
      },
      () => closeSocket(client),
    );
  };
  client.on('message', onMessage);
  sendJson(client, { type: 'auth_required', ha_version: haVersion });
}

/**
 * Handles an upgrade request for one of the Core WebSocket paths. `log` receives the outcome once it is
 * known: the HTTP status of a refused upgrade, or 101 with the add-on identified by the auth message.
 */
export function handleCoreWebSocketUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  wss: WebSocketServer,
  ctx: EmulatorContext,
  log: (status: number, addon?: Addon) => void,
): void {
  void coreIsRunning(ctx).then((running) => {
    if (!running) {
      log(502);
      rejectUpgrade(socket, 502);
      return;
    }
    wss.handleUpgrade(req, socket, head, (client) => {
      runSession(client, ctx, (addon) => log(101, addon));
    });
  });
}
