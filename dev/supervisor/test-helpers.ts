/**
 * Fixtures for the emulator's own tests: add-on config files, a tiny fake Core (REST + WebSocket with
 * HA's auth handshake), and small HTTP/WS client helpers.
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { stringify } from 'yaml';

/** A temp folder for config files; `cleanup()` removes it. */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'homeiq-supervisor-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `<dir>/<slug>/config.yaml` with the required keys filled in and returns its path. */
export function writeAddonConfig(dir: string, config: Record<string, unknown> & { slug: string }): string {
  const path = join(dir, `${config.slug}.yaml`);
  writeFileSync(
    path,
    stringify({ name: `Test ${config.slug}`, version: '1.2.3', description: 'test', arch: ['amd64'], ...config }),
  );
  return path;
}

/** Starts an HTTP server on `host` with a random port; resolves to its base URL. */
export async function listen(server: http.Server, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

/** Closes a server and every connection it still has. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** What the fake Core saw of one REST request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  remoteAddress: string | undefined;
}

/** A fake Home Assistant Core: `/api/core/state`, any other `/api/*` echoed, `/api/stream` SSE, `/api/websocket`. */
export interface FakeCore {
  url: string;
  token: string;
  state: string;
  requests: SeenRequest[];
  /** Server-side sockets of accepted WebSocket sessions (after a successful auth). */
  sessions: WebSocket[];
  /** Writes one SSE event to every open `/api/stream` response. */
  emit(data: string): void;
  /** Number of `/api/stream` responses still open. */
  openStreams(): number;
  close(): Promise<void>;
}

export async function startFakeCore(token = 'core-token'): Promise<FakeCore> {
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remoteAddress: req.socket.remoteAddress,
      };
      if (req.url === '/api/core/state') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ state: fake.state }));
        return;
      }
      fake.requests.push(seen);
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('401: Unauthorized');
        return;
      }
      if (req.url === '/api/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
        res.write(': ping\n\n');
        streams.add(res);
        res.on('close', () => streams.delete(res));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'x-core-only': 'dropped' });
      res.end(JSON.stringify({ method: seen.method, url: seen.url, body: seen.body }));
    });
  });
  const wss = new WebSocketServer({ server, path: '/api/websocket' });
  wss.on('connection', (ws) => {
    ws.send(JSON.stringify({ type: 'auth_required', ha_version: '2099.1.0' }));
    let authed = false;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return void ws.send(data, { binary: true });
      const parsed = JSON.parse(data.toString()) as unknown;
      // Echo each command back (HA accepts a JSON array of commands too) so tests see what arrived.
      const echo = (m: { id?: number }): void =>
        ws.send(JSON.stringify({ id: m.id, type: 'result', success: true, result: { echo: m } }));
      if (Array.isArray(parsed)) return void (authed && parsed.forEach(echo));
      const msg = parsed as { type?: string; id?: number; access_token?: string };
      if (!authed) {
        if (msg.type === 'auth' && msg.access_token === token) {
          authed = true;
          fake.sessions.push(ws);
          ws.send(JSON.stringify({ type: 'auth_ok', ha_version: '2099.1.0' }));
        } else {
          ws.send(JSON.stringify({ type: 'auth_invalid', message: 'Invalid access token or password' }));
          ws.close();
        }
        return;
      }
      echo(msg);
    });
  });
  const fake: FakeCore = {
    url: await listen(server, '127.0.0.1'),
    token,
    state: 'RUNNING',
    requests: [],
    sessions: [],
    emit: (data) => {
      for (const res of streams) res.write(`data: ${data}\n\n`);
    },
    openStreams: () => streams.size,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await closeServer(server);
    },
  };
  return fake;
}

/** A WebSocket client that queues text messages (as JSON) so a test can await them one by one. */
export interface TestWs {
  ws: WebSocket;
  /** Next text message parsed as JSON (rejects after `timeoutMs`). */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the close code once the socket is closed. */
  closed: Promise<number>;
}

export function openWs(url: string, protocols?: string[], options?: WebSocket.ClientOptions): TestWs {
  const ws = new WebSocket(url, protocols, options);
  const queue: Array<Record<string, unknown>> = [];
  const waiters: Array<(m: Record<string, unknown>) => void> = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const msg = JSON.parse(data.toString()) as Record<string, unknown>;
    const waiter = waiters.shift();
    if (waiter) waiter(msg);
    else queue.push(msg);
  });
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return {
    ws,
    closed,
    next(timeoutMs = 5000) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no WebSocket message in time')), timeoutMs);
        waiters.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
    },
  };
}
