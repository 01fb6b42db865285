/**
 * The Supervisor emulator: one HTTP server standing for the Supervisor at 172.30.32.2 (and for Core's
 * browser-facing ingress view), wired to the per-concern modules.
 * @module
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { handleSupervisorApi } from './api.js';
import type { EmulatorContext } from './context.js';
import { CORE_API_PREFIXES, CORE_WS_PATHS, proxyCoreRest } from './core-proxy.js';
import { createCoreWsServer, handleCoreWebSocketUpgrade } from './core-ws.js';
import { rejectUpgrade, sendPlainStatus } from './http-util.js';
import { createIngressWsServer, handleIngressHttp, handleIngressUpgrade, INGRESS_PREFIX } from './ingress.js';
import { decideAccess, extractSupervisorToken, isFilteredRequest } from './permissions.js';
import { AddonRegistry, ingressEntryOf, type Addon } from './registry.js';
import { ServiceRegistry } from './services.js';
import type {
  CoreTarget,
  IngressUser,
  RegisteredAddon,
  RequestLogEntry,
  StartOptions,
  SupervisorEmulator,
} from './types.js';

/** Repository URL the HomeIQ add-ons are installed from unless a test says otherwise. */
export const DEFAULT_REPOSITORY_URL = 'https://github.com/homeiq/homeiq-addons';

/** Ingress user until {@link SupervisorEmulator.setIngressUser} changes it: an HA admin. */
export const DEFAULT_INGRESS_USER: IngressUser = Object.freeze({
  id: '5e1f0c2a9d8b4e7fa3c6b2d1e0f9a8b7',
  name: 'testadmin',
  displayName: 'Test Admin',
});

const REQUEST_LOG_LIMIT = 1000;

function splitUrl(reqUrl: string | undefined): { rawPath: string; search: string } {
  const url = reqUrl ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? { rawPath: url, search: '' } : { rawPath: url.slice(0, q), search: url.slice(q) };
}

function decodePath(rawPath: string): string | null {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return null;
  }
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, ctx: EmulatorContext): Promise<void> {
  const { rawPath, search } = splitUrl(req.url);
  let addon: Addon | undefined;
  let logged = false;
  // 'finish' comes before the client can read the end of the response, so tests see the entry at once;
  // 'close' covers responses that never finish (client gone, stream torn down).
  const logOnce = (): void => {
    if (logged) return;
    logged = true;
    ctx.log({
      method: req.method ?? 'GET',
      path: rawPath,
      status: res.statusCode,
      ...(addon && { addon: addon.slug }),
    });
  };
  res.on('finish', logOnce);
  res.on('close', logOnce);

  if (rawPath.startsWith(INGRESS_PREFIX)) {
    addon = await handleIngressHttp(req, res, rawPath, search, ctx);
    return;
  }
  const path = decodePath(rawPath);
  if (path === null || isFilteredRequest(rawPath, search)) return sendPlainStatus(res, 400);

  const decision = decideAccess(path, extractSupervisorToken(req.headers), ctx.registry);
  if (decision.kind === 'deny') {
    addon = decision.addon;
    return sendPlainStatus(res, decision.status);
  }
  if (decision.kind === 'allow') {
    addon = decision.addon;
    return handleSupervisorApi(req, res, path, addon, ctx);
  }
  const prefix = CORE_API_PREFIXES.find((p) => rawPath.startsWith(p));
  if (prefix !== undefined) {
    addon = await proxyCoreRest(req, res, rawPath.slice(prefix.length), search, ctx);
    return;
  }
  // A Core WebSocket path without an upgrade, or the Supervisor-side ingress (needs a session cookie
  // that only Core can create; the emulator serves ingress on Core's browser-facing path instead).
  if (CORE_WS_PATHS.has(path)) return sendPlainStatus(res, 400);
  if (path.startsWith('/ingress/')) return sendPlainStatus(res, 401);
  return handleSupervisorApi(req, res, path, undefined, ctx);
}

function handleUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  ctx: EmulatorContext,
  servers: { core: ReturnType<typeof createCoreWsServer>; ingress: ReturnType<typeof createIngressWsServer> },
): void {
  socket.on('error', () => socket.destroy());
  socket.on(
    'close',
    ctx.track(() => socket.destroy()),
  );
  const { rawPath, search } = splitUrl(req.url);
  const log = (status: number, addon?: Addon): void =>
    ctx.log({ method: req.method ?? 'GET', path: rawPath, status, ...(addon && { addon: addon.slug }) });

  if (rawPath.startsWith(INGRESS_PREFIX)) {
    handleIngressUpgrade(req, socket, head, rawPath, search, servers.ingress, ctx, log);
    return;
  }
  const path = decodePath(rawPath);
  if (path !== null && CORE_WS_PATHS.has(path)) {
    handleCoreWebSocketUpgrade(req, socket, head, servers.core, ctx, log);
    return;
  }
  const decision = path === null ? undefined : decideAccess(path, extractSupervisorToken(req.headers), ctx.registry);
  const status = decision === undefined ? 400 : decision.kind === 'deny' ? decision.status : 404;
  log(status, decision?.kind === 'passthrough' ? undefined : decision?.addon);
  rejectUpgrade(socket, status);
}

/**
 * Starts a Supervisor emulator listening on `opts.host` (default 127.0.0.2) at a random port.
 * Each instance is independent; call {@link SupervisorEmulator.stop} to release its port and sockets.
 */
export async function startSupervisorEmulator(opts: StartOptions = {}): Promise<SupervisorEmulator> {
  const host = opts.host ?? '127.0.0.2';
  const registry = new AddonRegistry(opts.repositoryUrl ?? DEFAULT_REPOSITORY_URL);
  const teardowns = new Set<() => void>();
  const requests: RequestLogEntry[] = [];
  let core: CoreTarget | undefined = opts.core;
  let ingressUser: IngressUser | null = DEFAULT_INGRESS_USER;
  let url = '';

  const ctx: EmulatorContext = {
    host,
    registry,
    services: new ServiceRegistry(),
    get url() {
      return url;
    },
    get core() {
      return core;
    },
    get ingressUser() {
      return ingressUser;
    },
    wsAuthTimeoutMs: opts.wsAuthTimeoutMs ?? 10_000,
    checkCoreState: opts.checkCoreState ?? true,
    maxWsBufferedBytes: opts.maxWsBufferedBytes ?? 16 * 1024 * 1024,
    track(teardown) {
      teardowns.add(teardown);
      return () => void teardowns.delete(teardown);
    },
    log(entry) {
      requests.push(entry);
      if (requests.length > REQUEST_LOG_LIMIT) requests.splice(0, requests.length - REQUEST_LOG_LIMIT);
    },
  };

  const servers = { core: createCoreWsServer(), ingress: createIngressWsServer() };
  const server = http.createServer((req, res) => {
    handleRequest(req, res, ctx).catch(() => {
      if (!res.headersSent) sendPlainStatus(res, 500);
      else res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    handleUpgrade(req, socket, head, ctx, servers),
  );
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  url = `http://${host}:${(server.address() as AddressInfo).port}`;

  let stopped: Promise<void> | undefined;
  const emulator: SupervisorEmulator = {
    get url() {
      return url;
    },
    get requests() {
      return requests;
    },
    registerAddon(a): RegisteredAddon {
      const addon = registry.install(a);
      return {
        slug: addon.slug,
        hostname: addon.hostname,
        ip: addon.ip,
        token: addon.token,
        ingressEntry: ingressEntryOf(addon),
        env: () => ({
          SUPERVISOR_TOKEN: addon.token,
          HASSIO_TOKEN: addon.token,
          HOMEIQ_SUPERVISOR_URL: url,
          HOMEIQ_BIND_HOST: addon.ip,
          TZ: 'UTC',
        }),
      };
    },
    unregisterAddon(slug) {
      registry.uninstall(slug);
    },
    setAddonState(slug, state) {
      registry.require(slug).state = state;
    },
    setCore(next) {
      core = next;
    },
    setIngressUser(u) {
      ingressUser = u;
    },
    ingressUrl(slug, path = '') {
      const entry = ingressEntryOf(registry.require(slug));
      if (entry === null) throw new Error(`add-on ${slug} has no ingress`);
      return `${url}${entry}/${path.replace(/^\/+/, '')}`;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const teardown of [...teardowns]) teardown();
        teardowns.clear();
        servers.core.close();
        servers.ingress.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
  return emulator;
}
