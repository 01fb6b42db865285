import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, Health, LogSecrets, type AddonInfo, type SupervisorClient } from '@homeiq/shared';
import { createApp } from './app.js';
import { Csrf } from './csrf.js';
import { liveStream } from './live.js';
import { QueryConsole } from '../explore/console.js';
import { GrafanaService } from '../grafana.js';
import { InfluxReader } from '../influx/flux.js';
import { OverviewService } from '../overview/overview.js';
import { RateSampler } from '../overview/rate-sampler.js';
import { IngestorClient, ManagerClient } from '../siblings/clients.js';
import { AreaNames } from '../siblings/area-names.js';
import { SiblingLocator } from '../siblings/locator.js';
import { SiblingHttp } from '../siblings/sibling-http.js';
import type { Overview } from '../api-types.js';

// The panel server on real HTTP (loopback) with siblings that are down: the ingestor "started" at an
// address where nothing listens, the influxdb add-on stopped. Real siblings: tests/integration/stack/admin-*.test.ts.
const PEER = '127.0.0.1';
const STRANGER = '127.0.0.3';
const PREFIX = '/api/hassio_ingress/abcDEF_123-x';
const USER = { id: 'u1', name: 'alice', displayName: 'Alice' };

function addon(slug: string, state: string, ip: string): AddonInfo {
  return {
    name: slug,
    slug,
    hostname: slug.replace('_', '-'),
    version: '0.1.0',
    state,
    ip_address: ip,
    repository: 'x',
    ingress: false,
    ingress_entry: null,
    ingress_port: null,
  };
}

const supervisor = {
  selfInfo: async () => addon('abcd1234_homeiq-admin', 'started', '127.0.0.1'),
  addonInfo: async (slug: string) => {
    if (slug === 'abcd1234_homeiq-ingestor') return addon(slug, 'started', '127.0.56.11');
    if (slug === 'abcd1234_homeiq-influxdb') return addon(slug, 'stopped', '');
    throw new Error('unexpected');
  },
} as unknown as SupervisorClient;

let server: Server;
let port: number;
const csrf = new Csrf(Buffer.alloc(32, 7));

beforeAll(async () => {
  const log = createLogger({ level: 'fatal', name: 't', secrets: new LogSecrets(), write: () => {} });
  const locator = new SiblingLocator(supervisor);
  const http = new SiblingHttp({ locator, localAddress: undefined, timeoutMs: 1000 });
  const ingestor = new IngestorClient(http);
  const manager = new ManagerClient(http);
  const influx = new InfluxReader({
    manager,
    locator,
    tokenFile: '/nonexistent/token.json',
    localAddress: undefined,
    secrets: new LogSecrets(),
    log,
  });
  const sampler = new RateSampler(ingestor, log);
  const app = createApp({
    health: new Health(),
    ingressPeers: new Set([PEER]),
    siblings: {
      read: async (slug) => ({
        slug,
        installed: true,
        state: 'started',
        version: '0.1.0',
        health: undefined,
        problem: undefined,
      }),
    },
    overview: new OverviewService({ ingestorStatus: () => ingestor.status(), manager, influx, sampler }),
    ingestor,
    areaNames: new AreaNames(() => ingestor.areas()),
    manager,
    influx,
    grafana: new GrafanaService(locator, influx, manager),
    console: new QueryConsole(influx),
    csrf,
    live: liveStream({ locator, localAddress: undefined }),
    assets: {
      version: 'v1',
      files: new Map([['panel.js', { body: Buffer.from('console.log(1)'), type: 'text/javascript; charset=utf-8' }]]),
    },
    log,
  });
  server = app.listen({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads response fields directly; typing each body adds nothing
  json: () => any;
}

function call(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        localAddress: opts.from ?? PEER,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const ingress = (extra: Record<string, string> = {}): Record<string, string> => ({
  'X-Ingress-Path': PREFIX,
  'X-Remote-User-Id': USER.id,
  'X-Remote-User-Name': USER.name,
  'X-Remote-User-Display-Name': USER.displayName,
  ...extra,
});

describe('admin panel server', () => {
  it('answers only the ingress peer (403 for anyone else, /health also from loopback)', async () => {
    const res = await call('/', { from: STRANGER, headers: ingress() });
    expect(res.status).toBe(403);
    expect(res.json().error).toContain('only reachable through Home Assistant');
    expect((await call('/api/overview', { from: STRANGER })).status).toBe(403);
    expect((await call('/health', { from: STRANGER })).status).toBe(200);
  });

  it('renders the page under the ingress prefix with the user, a per-user CSRF token and versioned assets', async () => {
    const res = await call('/', { headers: ingress() });
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<base href="${PREFIX}/">`);
    expect(res.text).toContain('Signed in as Alice');
    expect(res.text).toContain('src="assets/panel.js?v=v1"');
    expect(res.text).toContain(`"csrf":"${csrf.token(USER.id)}"`);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    // A forged prefix is not echoed into the page.
    const forged = await call('/', { headers: ingress({ 'X-Ingress-Path': '"><script>alert(1)</script>' }) });
    expect(forged.text).toContain('<base href="/">');
    expect(forged.text).not.toContain('<script>alert');
  });

  it('serves the bundle, immutable only for the current version', async () => {
    const current = await call('/assets/panel.js?v=v1');
    expect(current.status).toBe(200);
    expect(current.headers['content-type']).toContain('javascript');
    expect(current.headers['cache-control']).toContain('immutable');
    expect((await call('/assets/panel.js?v=old')).headers['cache-control']).toBe('no-cache');
    expect((await call('/assets/../main.mjs')).status).toBe(404);
  });

  it('says which sibling is down and why, and keeps answering', async () => {
    const res = await call('/api/overview', { headers: ingress() });
    expect(res.status).toBe(200);
    const o = res.json() as Overview;
    expect(o.status).toBe('red');
    const ha = o.checks.find((c) => c.id === 'home-assistant');
    expect(ha?.status).toBe('red');
    expect(ha?.reason).toContain('HomeIQ Ingestor did not answer');
    const influx = o.checks.find((c) => c.id === 'influxdb');
    expect(influx?.reason).toContain('HomeIQ InfluxDB is stopped; start it from its add-on page');
    expect(o.problems.map((p) => p.sibling)).toContain('homeiq-influxdb');
    const storage = await call('/api/storage', { headers: ingress() });
    expect(storage.status).toBe(200);
    expect(storage.json().buckets).toBeNull();
    const entities = await call('/api/entities', { headers: ingress() });
    expect(entities.status).toBe(503);
    expect(entities.json().error).toContain('HomeIQ InfluxDB is stopped');
    expect(entities.headers['cache-control']).toBe('no-store');
  });

  it('refuses changes without a Home Assistant user or a valid CSRF token', async () => {
    const body = JSON.stringify({ retentionDays: 30 });
    const json = { 'Content-Type': 'application/json' };
    const noUser = await call('/api/buckets/homeassistant', {
      method: 'PATCH',
      body,
      headers: { ...json, 'X-HomeIQ-CSRF': csrf.token(USER.id) },
    });
    expect(noUser.status).toBe(403);
    expect(noUser.json().error).toContain('Home Assistant user');
    const noToken = await call('/api/buckets/homeassistant', { method: 'PATCH', body, headers: ingress(json) });
    expect(noToken.status).toBe(403);
    expect(noToken.json().details).toEqual({ code: 'csrf' });
    const otherUsers = await call('/api/buckets/homeassistant', {
      method: 'PATCH',
      body,
      headers: ingress({ ...json, 'X-HomeIQ-CSRF': csrf.token('someone-else') }),
    });
    expect(otherUsers.status).toBe(403);
    const run = await call('/api/tasks/0123456789abcdef/run', { method: 'POST', headers: ingress() });
    expect(run.status).toBe(403);
  });

  it('validates input with the reason (zod) before calling a sibling', async () => {
    const ok = ingress({ 'Content-Type': 'application/json', 'X-HomeIQ-CSRF': csrf.token(USER.id) });
    const bad = await call('/api/buckets/homeassistant', {
      method: 'PATCH',
      body: JSON.stringify({ retentionDays: -1 }),
      headers: ok,
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json().details)).toContain('retentionDays');
    const notJson = await call('/api/buckets/homeassistant', {
      method: 'PATCH',
      body: 'x',
      headers: { ...ok, 'Content-Type': 'text/plain' },
    });
    expect(notJson.status).toBe(415);
    const task = await call('/api/tasks/nope/run', { method: 'POST', headers: ok, body: '{}' });
    expect(task.status).toBe(400);
    const range = await call('/api/series?entity=sensor.x&range=2w', { headers: ingress() });
    expect(range.status).toBe(400);
    expect((await call('/api/series?range=1h', { headers: ingress() })).status).toBe(400);
    // Valid input reaches the sibling, which is down: 503 naming it.
    const down = await call('/api/buckets/homeassistant', {
      method: 'PATCH',
      body: JSON.stringify({ retentionDays: 30 }),
      headers: ok,
    });
    expect(down.status).toBe(503);
    expect(down.json().error).toContain('HomeIQ InfluxDB is stopped');
  });
  it('Explore and the query console: bounded, validated input; the console needs the CSRF token', async () => {
    const explore = async (qs: string): Promise<Res> => call(`/api/explore?${qs}`, { headers: ingress() });
    const ok = 'entities=sensor.a,sensor.b&start=1700000000000&end=1700086400000';
    for (const [qs, why] of [
      ['start=1700000000000&end=1700086400000', 'entities'],
      [
        'entities=sensor.a&start=1700000000000&end=1700000000500',
        'the range must end at least a second after it starts',
      ],
      ['entities=not-an-id&start=1700000000000&end=1700086400000', 'is not an entity id'],
      [`entities=${Array.from({ length: 51 }, (_, i) => `sensor.e${i}`).join(',')}&start=0&end=1000000`, 'at most 50'],
      [`${ok}&every=1week`, 'is not auto, none or a window'],
      [`${ok}&source=10m`, 'source'],
      [`${ok}&width=50`, 'width'],
      [`${ok}&compare=yes`, 'compare'],
      [`${ok}&flux=x`, 'flux'],
      [`${ok}&start=1`, 'start'],
    ] as const) {
      const res = await explore(qs);
      expect(res.status, qs).toBe(400);
      expect(JSON.stringify(res.json().details), qs).toContain(why);
    }
    // Valid input reaches InfluxDB, whose add-on is stopped: 503 naming it.
    const down = await explore(ok);
    expect(down.status).toBe(503);
    expect(down.json().error).toContain('HomeIQ InfluxDB is stopped');

    const json = { 'Content-Type': 'application/json' };
    const query = JSON.stringify({ query: 'from(bucket: "homeassistant") |> range(start: -1h)' });
    const noToken = await call('/api/query', { method: 'POST', body: query, headers: ingress(json) });
    expect(noToken.status).toBe(403);
    const withToken = ingress({ ...json, 'X-HomeIQ-CSRF': csrf.token(USER.id) });
    for (const [body, why] of [
      [{ query: '   ' }, 'query: is empty'],
      [{ query: 'x'.repeat(20_001) }, 'query'],
      [{ query: 'x', rows: 10_001 }, 'rows'],
      [{ query: 'x', timeoutS: 0 }, 'timeoutS'],
      [{ query: 'x', language: 'sql' }, 'language'],
      [{ query: 'x', token: 'mine' }, 'token'],
    ] as const) {
      const res = await call('/api/query', { method: 'POST', body: JSON.stringify(body), headers: withToken });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(JSON.stringify(res.json().details)).toContain(why);
    }
    const huge = await call('/api/query', {
      method: 'POST',
      body: JSON.stringify({ query: 'x', pad: 'y'.repeat(200_000) }),
      headers: withToken,
    });
    expect(huge.status).toBe(413);
    const down2 = await call('/api/query', { method: 'POST', body: query, headers: withToken });
    expect(down2.status).toBe(503);
  });
});
