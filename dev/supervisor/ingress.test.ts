import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_INGRESS_USER,
  startSupervisorEmulator,
  type RegisteredAddon,
  type SupervisorEmulator,
} from './index.js';
import { closeServer, openWs, tempDir, writeAddonConfig } from './test-helpers.js';
import { until } from '../until.js';

const ADDON_IP = '127.0.0.11';
/** The "browser": a loopback address of its own so X-Forwarded-For shows who is who. */
const BROWSER_IP = '127.0.0.99';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  remoteAddress: string | undefined;
}

const tmp = tempDir();
const seen: Seen[] = [];
const sse = new Set<http.ServerResponse>();
let addonServer: http.Server;
let wss: WebSocketServer;
let emu: SupervisorEmulator;
let addon: RegisteredAddon;

beforeAll(async () => {
  addonServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        remoteAddress: req.socket.remoteAddress,
      });
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
        return;
      }
      if (req.url === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': open\n\n');
        sse.add(res);
        res.on('close', () => sse.delete(res));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-addon-header': 'yes' });
      res.end('hello');
    });
  });
  wss = new WebSocketServer({ server: addonServer });
  wss.on('connection', (ws, req) => {
    ws.send(
      JSON.stringify({
        url: req.url,
        protocol: ws.protocol,
        remote: req.socket.remoteAddress,
        ingressPath: req.headers['x-ingress-path'],
        user: req.headers['x-remote-user-id'],
      }),
    );
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => addonServer.listen(0, ADDON_IP, resolve));
  const port = (addonServer.address() as AddressInfo).port;

  emu = await startSupervisorEmulator();
  addon = emu.registerAddon({
    configPath: writeAddonConfig(tmp.dir, { slug: 'admin', ingress: true, ingress_port: port }),
    ip: ADDON_IP,
  });
});
afterEach(() => {
  seen.length = 0;
  emu.setIngressUser(DEFAULT_INGRESS_USER);
  emu.setAddonState(addon.slug, 'started');
});
afterAll(async () => {
  await emu.stop();
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  await closeServer(addonServer);
  tmp.cleanup();
});

/** A raw request from the browser's address; the path is sent exactly as given. */
function browser(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ res: http.IncomingMessage; body: string }> {
  const url = new URL(emu.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        localAddress: BROWSER_IP,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ res, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const entryPath = (p = ''): string => `${addon.ingressEntry}/${p}`;

describe('ingress HTTP', () => {
  it('strips the prefix, keeps the query, and comes from 127.0.0.2', async () => {
    const { res, body } = await browser(entryPath('some/page?q=1&r=two'));
    expect(res.statusCode).toBe(200);
    expect(body).toBe('hello');
    expect(res.headers['x-addon-header']).toBe('yes');
    // Core rebuilds Content-Type from the bare media type.
    expect(res.headers['content-type']).toBe('text/html');
    expect(seen[0]?.url).toBe('/some/page?q=1&r=two');
    expect(seen[0]?.remoteAddress).toBe('127.0.0.2');
  });

  it("adds Core's and the Supervisor's headers", async () => {
    await browser(entryPath(), { headers: { 'accept-encoding': 'gzip, br' } });
    const h = seen[0]?.headers ?? {};
    expect(h['x-ingress-path']).toBe(addon.ingressEntry);
    expect(h['x-hass-source']).toBe('core.ingress');
    expect(h['x-forwarded-for']).toBe(`${BROWSER_IP}, 127.0.0.1`);
    expect(h['x-forwarded-host']).toBe(new URL(emu.url).host);
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-remote-user-id']).toBe(DEFAULT_INGRESS_USER.id);
    expect(h['x-remote-user-name']).toBe(DEFAULT_INGRESS_USER.name);
    expect(h['x-remote-user-display-name']).toBe(DEFAULT_INGRESS_USER.displayName);
    expect(h['accept-encoding']).toBeUndefined();
  });

  it('replaces or removes client-supplied copies of those headers and of token headers', async () => {
    await browser(entryPath(), {
      headers: {
        'x-remote-user-id': 'evil',
        'x-remote-user-name': 'evil',
        'x-remote-user-display-name': 'evil',
        'x-supervisor-token': 'stolen',
        'x-hassio-key': 'stolen',
        'x-ingress-path': '/evil',
        'x-hass-source': 'evil',
        'x-forwarded-for': '10.0.0.5',
      },
    });
    const h = seen[0]?.headers ?? {};
    expect(h['x-remote-user-id']).toBe(DEFAULT_INGRESS_USER.id);
    expect(h['x-remote-user-name']).toBe(DEFAULT_INGRESS_USER.name);
    expect(h['x-supervisor-token']).toBeUndefined();
    expect(h['x-hassio-key']).toBeUndefined();
    expect(h['x-ingress-path']).toBe(addon.ingressEntry);
    expect(h['x-hass-source']).toBe('core.ingress');
    expect(h['x-forwarded-for']).toBe(`10.0.0.5, ${BROWSER_IP}, 127.0.0.1`);
  });

  it('sends no user headers without an ingress user, even if the client sends some', async () => {
    emu.setIngressUser(null);
    await browser(entryPath(), { headers: { 'x-remote-user-id': 'evil' } });
    expect(seen[0]?.headers['x-remote-user-id']).toBeUndefined();
    emu.setIngressUser({ id: 'u2', name: 'bob', displayName: 'Bob' });
    await browser(entryPath());
    expect(seen[1]?.headers['x-remote-user-display-name']).toBe('Bob');
  });

  it('relays POST bodies with a Content-Length', async () => {
    const { res } = await browser(entryPath('api/save'), {
      method: 'POST',
      body: 'abc',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.statusCode).toBe(200);
    expect(seen[0]).toMatchObject({ method: 'POST', body: 'abc' });
    expect(seen[0]?.headers['content-length']).toBe('3');
  });

  it('does not follow redirects', async () => {
    const { res } = await browser(entryPath('redirect'));
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/elsewhere');
    expect(seen.map((s) => s.url)).toEqual(['/redirect']);
  });

  it('streams server-sent events as they are written', async () => {
    const received: string[] = [];
    const req = http.get(`${emu.url}${entryPath('events')}`);
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    expect(res.headers['content-type']).toBe('text/event-stream');
    res.setEncoding('utf8');
    res.on('data', (c: string) => received.push(c));
    await until('one open event stream', () => sse.size === 1, 5000);
    for (const s of sse) s.write('data: one\n\n');
    await until('the first event', () => received.join('').includes('data: one'), 5000);
    for (const s of sse) s.write('data: two\n\n');
    await until('the second event', () => received.join('').includes('data: two'), 5000);
    req.destroy();
    await until('the event stream closed', () => sse.size === 0, 5000);
  });

  it('503 for an unknown token, 404 without a path, 400 for an escaping path, 502 when stopped', async () => {
    expect((await browser('/api/hassio_ingress/unknowntoken/x')).res.statusCode).toBe(503);
    expect((await browser(`${addon.ingressEntry}`)).res.statusCode).toBe(404);
    expect((await browser(entryPath('..%2F..%2Fsupervisor/info'))).res.statusCode).toBe(400);
    emu.setAddonState(addon.slug, 'stopped');
    expect((await browser(entryPath())).res.statusCode).toBe(502);
    expect(seen).toHaveLength(0);
  });
});

describe('ingress WebSocket', () => {
  it('relays an upgrade under the prefix with query, subprotocol and headers', async () => {
    const t = openWs(`${emu.url.replace('http:', 'ws:')}${entryPath('ws?x=1')}`, ['proto-a', 'proto-b']);
    try {
      expect(await t.next()).toEqual({
        url: '/ws?x=1',
        protocol: 'proto-a',
        remote: '127.0.0.2',
        ingressPath: addon.ingressEntry,
        user: DEFAULT_INGRESS_USER.id,
      });
      expect(t.ws.protocol).toBe('proto-a');
      t.ws.send(JSON.stringify({ hello: 'addon' }));
      expect(await t.next()).toEqual({ hello: 'addon' });
      const binary = new Promise<boolean>((resolve) => t.ws.once('message', (_d, isBinary) => resolve(isBinary)));
      t.ws.send(Buffer.from([9, 9]), { binary: true });
      expect(await binary).toBe(true);
    } finally {
      t.ws.terminate();
    }
  });

  it('closing one side closes the other', async () => {
    const before = new Set(wss.clients);
    const t = openWs(`${emu.url.replace('http:', 'ws:')}${entryPath('ws')}`);
    await t.next();
    const addonSide = [...wss.clients].find((c) => !before.has(c));
    addonSide?.close();
    expect(await t.closed).toBe(1000);

    const t2 = openWs(`${emu.url.replace('http:', 'ws:')}${entryPath('ws')}`);
    await t2.next();
    const addonSide2 = [...wss.clients].find((c) => !before.has(c) && c !== addonSide);
    t2.ws.close();
    await until('the add-on side closed', () => addonSide2?.readyState === WebSocket.CLOSED, 5000);
  });

  it('closes the browser socket with 1011 when the token is unknown', async () => {
    const t = openWs(`${emu.url.replace('http:', 'ws:')}/api/hassio_ingress/unknowntoken/ws`);
    expect(await t.closed).toBe(1011);
  });
});

describe('uninstall', () => {
  it('revokes the ingress token', async () => {
    const other = emu.registerAddon({
      configPath: writeAddonConfig(tmp.dir, { slug: 'tmp_ui', ingress: true }),
      ip: '127.0.0.12',
    });
    const path = `${other.ingressEntry}/`;
    expect((await browser(path)).res.statusCode).toBe(502);
    emu.unregisterAddon(other.slug);
    expect((await browser(path)).res.statusCode).toBe(503);
  });
});
