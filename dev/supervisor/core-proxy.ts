/**
 * The Supervisor's Home Assistant REST proxy (`supervisor/api/proxy.py` `api`/`stream`): `/core/api/*`
 * relayed to Core with the Supervisor's own Core token.
 * @module
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { EmulatorContext } from './context.js';
import { headerValue, sendPlainStatus } from './http-util.js';
import { relayResponse } from './http-relay.js';
import type { Addon } from './registry.js';
import type { CoreTarget } from './types.js';

/** Request headers the proxy passes to Core besides Content-Type; everything else is dropped. */
const FORWARD_HEADERS = ['x-speech-content', 'accept', 'last-event-id', 'mcp-session-id', 'mcp-protocol-version'];

const CORE_STATE_TIMEOUT_MS = 10_000;

/** Paths under which the proxy serves REST (both the current and the legacy prefix). */
export const CORE_API_PREFIXES = ['/core/api/', '/homeassistant/api/'] as const;

/** Paths of the WebSocket proxy. */
export const CORE_WS_PATHS = new Set([
  '/core/websocket',
  '/core/api/websocket',
  '/homeassistant/websocket',
  '/homeassistant/api/websocket',
]);

/**
 * `_check_access`: only `Authorization` (last word) or legacy `X-Ha-Access` count here, so an add-on
 * sending just `X-Supervisor-Token` is refused by this proxy even though the rest of the API accepts it.
 */
export function coreProxyCaller(req: IncomingMessage, ctx: EmulatorContext): Addon | undefined {
  const auth = headerValue(req, 'authorization');
  const token = auth !== undefined ? auth.split(' ').at(-1) : headerValue(req, 'x-ha-access');
  const addon = ctx.registry.fromToken(token);
  return addon?.config.homeassistant_api ? addon : undefined;
}

/** Starts a request to Core from the emulator's address. */
export function coreRequest(
  core: CoreTarget,
  pathAndQuery: string,
  options: http.RequestOptions,
  ctx: EmulatorContext,
): http.ClientRequest {
  const url = new URL(pathAndQuery, core.url.endsWith('/') ? core.url : `${core.url}/`);
  const lib = url.protocol === 'https:' ? https : http;
  return lib.request(url, { ...options, localAddress: ctx.host });
}

/**
 * `check_api_state`: Core counts as up only if `GET /api/core/state` says `RUNNING` (or an offline
 * database migration is running). The Supervisor asks before every proxied request; so does the emulator.
 */
export function coreIsRunning(ctx: EmulatorContext): Promise<boolean> {
  const core = ctx.core;
  if (!core) return Promise.resolve(false);
  if (!ctx.checkCoreState) return Promise.resolve(true);
  return new Promise((resolve) => {
    const req = coreRequest(
      core,
      'api/core/state',
      {
        method: 'GET',
        headers: { authorization: `Bearer ${core.token}`, accept: 'application/json' },
        timeout: CORE_STATE_TIMEOUT_MS,
      },
      ctx,
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 64 * 1024) res.destroy();
        else chunks.push(c);
      });
      res.on('error', () => resolve(false));
      res.on('close', () => {
        if (res.statusCode !== 200 && res.statusCode !== 201) return resolve(false);
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            state?: string;
            recorder_state?: { migration_in_progress?: boolean; migration_is_live?: boolean };
          };
          const offlineMigration =
            body.recorder_state?.migration_in_progress === true && body.recorder_state.migration_is_live !== true;
          resolve((body.state ?? 'RUNNING') === 'RUNNING' || offlineMigration);
        } catch {
          resolve(false);
        }
      });
    });
    req.end();
  });
}

/**
 * Relays one `/core/api/<rest>` request. `rest` is the raw (still percent-encoded) path after the prefix,
 * `search` the raw query string including `?`. Returns the calling add-on for the request log.
 */
export async function proxyCoreRest(
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
  search: string,
  ctx: EmulatorContext,
): Promise<Addon | undefined> {
  const method = req.method ?? 'GET';
  // The Supervisor registers GET and POST only; other verbs never reach Core.
  if (method !== 'GET' && method !== 'POST') {
    sendPlainStatus(res, 405);
    return undefined;
  }
  const caller = coreProxyCaller(req, ctx);
  if (!caller) {
    sendPlainStatus(res, 401);
    return undefined;
  }
  const core = ctx.core;
  if (!core || !(await coreIsRunning(ctx))) {
    sendPlainStatus(res, 502);
    return caller;
  }

  const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${core.token}` };
  const contentType = headerValue(req, 'content-type');
  if (contentType !== undefined) headers['content-type'] = contentType;
  for (const name of FORWARD_HEADERS) {
    const value = headerValue(req, name);
    if (value !== undefined) headers[name] = value;
  }
  const hasBody = method === 'POST';
  const contentLength = headerValue(req, 'content-length');
  if (hasBody && contentLength !== undefined) headers['content-length'] = contentLength;

  const upstream = coreRequest(core, `api/${rest}${search}`, { method, headers }, ctx);
  await relayResponse(
    upstream,
    res,
    ctx,
    (up) => {
      const mime = (up.headers['content-type'] ?? 'application/octet-stream').split(';')[0]?.trim();
      const out: http.OutgoingHttpHeaders = { 'content-type': mime };
      if (up.headers['content-length'] !== undefined) out['content-length'] = up.headers['content-length'];
      else out['x-accel-buffering'] = 'no';
      return out;
    },
    () => (hasBody ? req.pipe(upstream) : upstream.end()),
  );
  return caller;
}
