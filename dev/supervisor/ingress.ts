/**
 * Ingress as the browser sees it: Core's `HassIOIngress` view and the Supervisor's ingress handler in
 * one hop. `/api/hassio_ingress/<token>/<path>` is forwarded to `http://<add-on ip>:<ingress_port>/<path>`
 * from the emulator's address, with the headers both of them add and strip.
 * @module
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { MAX_BODY_BYTES, type EmulatorContext } from './context.js';
import { BodyTooLargeError, headerValue, readBody, sendPlainStatus } from './http-util.js';
import { relayResponse } from './http-relay.js';
import type { Addon } from './registry.js';
import { bridge, closeSocket, toBuffer } from './ws-relay.js';

export const INGRESS_PREFIX = '/api/hassio_ingress/';

/** Stands for Core's address on the hassio network (172.30.32.1), appended to X-Forwarded-For. */
const CORE_IP = '127.0.0.1';
/** Core buffers responses up to this size when they declare a Content-Length; larger ones stream. */
const MAX_SIMPLE_RESPONSE_SIZE = 4_194_000;
const MAX_WS_MESSAGE = 16 * 1024 * 1024;

/** Request headers dropped by Core (encodings, WS handshake) and by the Supervisor (tokens, user). */
const DROPPED_REQUEST_HEADERS = new Set([
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'accept-encoding',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-version',
  'sec-websocket-key',
  'x-supervisor-token',
  'x-hassio-key',
  'x-remote-user-id',
  'x-remote-user-name',
  'x-remote-user-display-name',
  // Overwritten below; hop-by-hop ones are Node's business on each connection.
  'x-hass-source',
  'x-ingress-path',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'connection',
  'keep-alive',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
]);
const DROPPED_RESPONSE_HEADERS = new Set([
  'transfer-encoding',
  'content-length',
  'content-type',
  'content-encoding',
  'connection',
  'keep-alive',
]);

/** Splits `/api/hassio_ingress/<token>/<rest>`; null if the path has no `/` after the token. */
export function parseIngressPath(rawPath: string): { token: string; rest: string } | null {
  if (!rawPath.startsWith(INGRESS_PREFIX)) return null;
  const tail = rawPath.slice(INGRESS_PREFIX.length);
  const slash = tail.indexOf('/');
  if (slash <= 0) return null;
  return { token: tail.slice(0, slash), rest: tail.slice(slash + 1) };
}

/** Python's `urllib.parse.quote(s)` (safe `/`), which Core applies to the decoded path. */
function pyQuote(s: string): string {
  return encodeURIComponent(s)
    .replaceAll('%2F', '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Core's `_create_url`: decode, re-quote, resolve dot segments, and refuse (400) anything that escapes
 * the token's prefix. Returns the path the add-on sees, always starting with `/`.
 */
export function addonPath(rest: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return null;
  }
  const base = '/ingress/t/';
  const resolved = new URL(base + pyQuote(decoded), 'http://core').pathname;
  return resolved.startsWith(base) ? `/${resolved.slice(base.length)}` : null;
}

function forwardedHeaders(req: IncomingMessage, token: string, ctx: EmulatorContext): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  const user = ctx.ingressUser;
  if (user) {
    out['x-remote-user-id'] = user.id;
    out['x-remote-user-name'] = user.name;
    out['x-remote-user-display-name'] = user.displayName;
  }
  for (const [name, value] of Object.entries(req.headers as IncomingHttpHeaders)) {
    if (value !== undefined && !DROPPED_REQUEST_HEADERS.has(name)) out[name] = value;
  }
  out['x-hass-source'] = 'core.ingress';
  out['x-ingress-path'] = `/api/hassio_ingress/${token}`;
  // Core appends the browser's address, then the Supervisor appends Core's.
  const clientFor = headerValue(req, 'x-forwarded-for');
  const peer = req.socket.remoteAddress ?? 'unknown';
  out['x-forwarded-for'] = `${clientFor ? `${clientFor}, ${peer}` : peer}, ${CORE_IP}`;
  out['x-forwarded-host'] = headerValue(req, 'x-forwarded-host') || headerValue(req, 'host') || ctx.host;
  out['x-forwarded-proto'] = headerValue(req, 'x-forwarded-proto') || 'http';
  return out;
}

function responseHeaders(up: IncomingMessage): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(up.headers)) {
    if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) out[name] = value;
  }
  // Core re-creates Content-Type from the bare media type, so parameters such as charset are lost.
  out['content-type'] = up.headers['content-type']?.split(';')[0]?.trim() || 'application/octet-stream';
  const length = Number(up.headers['content-length']);
  const simple =
    up.statusCode === 204 ||
    up.statusCode === 304 ||
    (up.headers['content-length'] !== undefined && length <= MAX_SIMPLE_RESPONSE_SIZE);
  if (simple && up.headers['content-length'] !== undefined) out['content-length'] = length;
  if (!simple) out['x-accel-buffering'] = 'no';
  return out;
}

type Target = { addon: Addon; token: string; path: string } | { status: number; addon?: Addon };

function resolveTarget(rawPath: string, search: string, ctx: EmulatorContext): Target {
  const parsed = parseIngressPath(rawPath);
  if (!parsed) return { status: 404 };
  const path = addonPath(parsed.rest);
  if (path === null) return { status: 400 };
  const addon = ctx.registry.fromIngressToken(parsed.token);
  if (!addon) return { status: 503 };
  // A stopped container has no address; the Supervisor's connection attempt fails.
  if (addon.state !== 'started') return { status: 502, addon };
  return { addon, token: parsed.token, path: path + search };
}

/** Serves one ingress HTTP request; returns the target add-on for the request log. */
export async function handleIngressHttp(
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  search: string,
  ctx: EmulatorContext,
): Promise<Addon | undefined> {
  const target = resolveTarget(rawPath, search, ctx);
  if ('status' in target) {
    sendPlainStatus(res, target.status);
    return target.addon;
  }
  const { addon } = target;
  const method = req.method ?? 'GET';
  const headers = forwardedHeaders(req, target.token, ctx);
  // Core sends no body with GET; the Supervisor buffers bodies unless the add-on opts into streaming.
  const stream = method === 'POST' && addon.config.ingress_stream;
  let body: Buffer | undefined;
  if (method !== 'GET' && !stream) {
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      sendPlainStatus(res, 413);
      return addon;
    }
    if (method !== 'HEAD') headers['content-length'] = body.length;
  }

  const upstream = http.request({
    host: addon.ip,
    port: addon.config.ingress_port,
    path: target.path,
    method,
    headers,
    localAddress: ctx.host,
    agent: false,
  });
  await relayResponse(upstream, res, ctx, responseHeaders, () => (stream ? req.pipe(upstream) : upstream.end(body)));
  return addon;
}

/** The WebSocket server for ingress upgrades: relays pings itself and picks the browser's first protocol. */
export function createIngressWsServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_MESSAGE,
    autoPong: false,
    handleProtocols: (protocols) => protocols.values().next().value ?? false,
  });
}

/**
 * Handles a WebSocket upgrade under the ingress prefix. Like Core, the browser's socket is accepted
 * before the add-on is reached; if that fails the browser's socket is closed with 1011.
 */
export function handleIngressUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  rawPath: string,
  search: string,
  wss: WebSocketServer,
  ctx: EmulatorContext,
  log: (status: number, addon?: Addon) => void,
): void {
  const target = resolveTarget(rawPath, search, ctx);
  const protocols = (headerValue(req, 'sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const headers = 'status' in target ? {} : forwardedHeaders(req, target.token, ctx);
  wss.handleUpgrade(req, socket, head, (client) => {
    log(101, target.addon);
    const untrackClient = ctx.track(() => client.terminate());
    client.on('close', untrackClient);
    client.on('error', () => client.terminate());
    if ('status' in target) return closeSocket(client, 1011);

    client.pause();
    const queued: Array<[Buffer, boolean]> = [];
    let queuedBytes = 0;
    const onEarlyMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
      const frame = toBuffer(data);
      queuedBytes += frame.length;
      if (queuedBytes > ctx.maxWsBufferedBytes) client.terminate();
      else queued.push([frame, isBinary]);
    };
    client.on('message', onEarlyMessage);

    const { addon, path } = target;
    const upstream = new WebSocket(`ws://${addon.ip}:${addon.config.ingress_port}${path}`, protocols, {
      headers: headers as Record<string, string>,
      localAddress: ctx.host,
      maxPayload: MAX_WS_MESSAGE,
      autoPong: false,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    const untrackUpstream = ctx.track(() => upstream.terminate());
    upstream.on('close', untrackUpstream);
    let opened = false;
    // ws may report more than one error for a failed handshake; only the first one matters.
    upstream.on('error', () => {
      if (opened) return;
      upstream.terminate();
      closeSocket(client, 1011);
    });
    client.on('close', () => {
      if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    });
    upstream.on('open', () => {
      opened = true;
      client.off('message', onEarlyMessage);
      const relay = bridge(client, upstream, { maxBufferedBytes: ctx.maxWsBufferedBytes, relayPings: true });
      for (const [frame, isBinary] of queued.splice(0)) relay.fromA(frame, isBinary);
      client.resume();
    });
  });
}
