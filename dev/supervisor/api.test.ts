import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from './index.js';
import { tempDir, writeAddonConfig } from './test-helpers.js';

const tmp = tempDir();
let emu: SupervisorEmulator;
const addons: Record<string, RegisteredAddon> = {};

beforeAll(async () => {
  emu = await startSupervisorEmulator({ core: { url: 'http://127.0.0.1:1', token: 'unused', version: '2099.2.0' } });
  const defs: Array<Record<string, unknown> & { slug: string }> = [
    { slug: 'plain' },
    { slug: 'reader', hassio_api: true },
    { slug: 'ha_role', hassio_api: true, hassio_role: 'homeassistant' },
    { slug: 'backup_role', hassio_api: true, hassio_role: 'backup' },
    { slug: 'mgr', hassio_api: true, hassio_role: 'manager' },
    { slug: 'adm', hassio_api: true, hassio_role: 'admin' },
    { slug: 'no_api_flag', hassio_role: 'admin' },
    {
      slug: 'secretive',
      ingress: true,
      ingress_entry: 'dashboard',
      options: { log_level: 'info', password: 'default' },
      schema: { log_level: 'list(info|debug)', password: 'password', extra: 'str?' },
    },
  ];
  let ip = 40;
  for (const def of defs) {
    addons[def.slug] = emu.registerAddon({
      configPath: writeAddonConfig(tmp.dir, def),
      ip: `127.0.0.${ip++}`,
      ...(def.slug === 'secretive' && { options: { password: 's3cret', stale: 1 } }),
    });
  }
});
afterAll(async () => {
  await emu.stop();
  tmp.cleanup();
});

function slugOf(name: string): string {
  const a = addons[name];
  if (!a) throw new Error(`no add-on ${name}`);
  return a.slug;
}

async function call(
  path: string,
  opts: { as?: string; token?: string; method?: string; body?: unknown; header?: string } = {},
): Promise<{
  status: number;
  text: string;
  json: () => { result: string; data?: Record<string, unknown>; message?: string };
}> {
  const token = opts.token ?? (opts.as ? addons[opts.as]?.token : undefined);
  const headers: Record<string, string> = {};
  if (token !== undefined) {
    if (opts.header === 'x-supervisor-token' || opts.header === 'x-hassio-key') headers[opts.header] = token;
    else headers['authorization'] = `Bearer ${token}`;
  }
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${emu.url}${path}`, {
    method: opts.method ?? 'GET',
    headers,
    ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

describe('permission middleware', () => {
  it('401 without a token, in aiohttp plain-text style', async () => {
    const res = await call('/addons/self/info');
    expect(res.status).toBe(401);
    expect(res.text).toBe('401: Unauthorized');
  });

  it('403 for an unknown token (the Supervisor only uses 401 for a missing one)', async () => {
    const res = await call('/addons/self/info', { token: 'f'.repeat(112) });
    expect(res.status).toBe(403);
    expect(res.text).toBe('403: Forbidden');
  });

  it('accepts Authorization: Bearer, X-Supervisor-Token and legacy X-Hassio-Key', async () => {
    for (const header of ['authorization', 'x-supervisor-token', 'x-hassio-key']) {
      const res = await call('/addons/self/info', { as: 'plain', header });
      expect(res.status, header).toBe(200);
      expect(res.json().data?.['slug']).toBe(slugOf('plain'));
    }
  });

  it('/supervisor/ping needs no token', async () => {
    const res = await call('/supervisor/ping');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ result: 'ok', data: {} });
  });

  // [caller, method, path, expected status]; 404 means "allowed, but the emulator has no such endpoint".
  const matrix: Array<[string, string, string | (() => string), number]> = [
    ['plain', 'GET', '/addons/self/info', 200],
    ['plain', 'GET', '/addons/self/options/config', 200],
    ['plain', 'GET', '/info', 200],
    ['plain', 'GET', () => `/addons/${slugOf('reader')}/info`, 403],
    ['plain', 'GET', '/core/info', 403],
    ['no_api_flag', 'GET', '/addons', 403],
    ['reader', 'GET', () => `/addons/${slugOf('plain')}/info`, 200],
    ['reader', 'GET', '/core/info', 404],
    ['reader', 'GET', '/addons', 403],
    ['reader', 'GET', '/addons/self/security', 403],
    ['reader', 'GET', '/backups', 403],
    ['reader', 'GET', () => `/addons/${slugOf('plain')}/options/config`, 403],
    ['ha_role', 'GET', '/core/stats', 404],
    ['ha_role', 'GET', '/backups', 403],
    ['backup_role', 'GET', '/backups', 404],
    ['backup_role', 'GET', '/core/stats', 403],
    ['mgr', 'GET', '/addons', 200],
    ['mgr', 'GET', () => `/addons/${slugOf('plain')}/security`, 403],
    ['mgr', 'GET', '/os/datadisk/wipe', 403],
    ['mgr', 'GET', '/host/info', 404],
    ['adm', 'GET', () => `/addons/${slugOf('plain')}/security`, 404],
    ['adm', 'GET', '/core/api/hassio/addons', 403],
    ['adm', 'GET', () => `/addons/${slugOf('plain')}/sys_options`, 403],
  ];
  it.each(matrix)('%s %s %s → %i', async (as, method, path, expected) => {
    const res = await call(typeof path === 'string' ? path : path(), { as, method });
    expect(res.status).toBe(expected);
    if (expected === 403) expect(res.text).toBe('403: Forbidden');
  });

  it('rejects likely exploits with 400 before looking at the token', async () => {
    expect((await call('/addons/self/info?file=../../etc/passwd', { as: 'plain' })).status).toBe(400);
  });
});

describe('add-on info', () => {
  it('describes the calling add-on', async () => {
    const res = await call('/addons/self/info', { as: 'secretive' });
    const data = res.json().data ?? {};
    const reg = addons['secretive'];
    expect(data).toMatchObject({
      name: 'Test secretive',
      slug: reg?.slug,
      hostname: reg?.hostname,
      repository: reg?.slug.split('_')[0],
      version: '1.2.3',
      version_latest: '1.2.3',
      state: 'started',
      ip_address: reg?.ip,
      ingress: true,
      ingress_entry: reg?.ingressEntry,
      ingress_url: `${reg?.ingressEntry}/dashboard`,
      ingress_port: 8099,
      ingress_panel: false,
      hassio_api: false,
      hassio_role: 'default',
      homeassistant_api: false,
      arch: ['amd64'],
      options: { log_level: 'info', password: 's3cret', stale: 1 },
    });
  });

  it("redacts another add-on's options unless the caller is manager or admin", async () => {
    const path = `/addons/${slugOf('secretive')}/info`;
    expect((await call(path, { as: 'reader' })).json().data?.['options']).toEqual({});
    expect((await call(path, { as: 'mgr' })).json().data?.['options']).toMatchObject({ password: 's3cret' });
    expect((await call(path, { as: 'adm' })).json().data?.['options']).toMatchObject({ password: 's3cret' });
  });

  it('404 error envelope for an unknown slug', async () => {
    const res = await call('/addons/deadbeef_nope/info', { as: 'reader' });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ result: 'error', message: 'App deadbeef_nope does not exist' });
  });

  it('reports state changes', async () => {
    emu.setAddonState(slugOf('plain'), 'stopped');
    expect((await call(`/addons/${slugOf('plain')}/info`, { as: 'reader' })).json().data?.['state']).toBe('stopped');
    emu.setAddonState(slugOf('plain'), 'started');
  });

  it('GET /info', async () => {
    const data = (await call('/info', { as: 'plain' })).json().data ?? {};
    expect(data).toMatchObject({
      homeassistant: '2099.2.0',
      timezone: 'UTC',
      arch: 'amd64',
      hostname: 'homeassistant',
    });
    expect(typeof data['supervisor']).toBe('string');
  });

  it('GET /addons lists installed add-ons for a manager', async () => {
    const list = (await call('/addons', { as: 'mgr' })).json().data?.['addons'] as Array<{ slug: string }>;
    expect(list.map((a) => a.slug)).toContain(slugOf('secretive'));
  });
});

describe('options', () => {
  it('renders options against the schema (unknown keys dropped)', async () => {
    const res = await call('/addons/self/options/config', { as: 'secretive' });
    expect(res.json()).toEqual({ result: 'ok', data: { log_level: 'info', password: 's3cret' } });
  });

  it('only the add-on itself may read rendered options', async () => {
    const res = await call(`/addons/${slugOf('secretive')}/options/config`, { as: 'mgr' });
    expect(res.status).toBe(403);
    expect(res.json()).toEqual({ result: 'error', message: 'This can be only read by the app itself!' });
  });

  it('POST /addons/self/options stores options, refuses missing required ones, null resets', async () => {
    const post = (body: unknown): ReturnType<typeof call> =>
      call('/addons/self/options', { as: 'secretive', method: 'POST', body });
    expect((await post({ options: { log_level: 'debug', password: 'x' } })).json()).toEqual({ result: 'ok', data: {} });
    expect((await call('/addons/self/options/config', { as: 'secretive' })).json().data).toEqual({
      log_level: 'debug',
      password: 'x',
    });

    const bad = await post({ options: { log_level: 'debug' } });
    expect(bad.status).toBe(400);
    expect(bad.json().message).toMatch(/Missing option 'password'/);

    expect((await post({ options: null })).status).toBe(200);
    expect((await call('/addons/self/options/config', { as: 'secretive' })).json().data).toEqual({
      log_level: 'info',
      password: 'default',
    });
  });

  it('405 for a known endpoint with the wrong method', async () => {
    expect((await call('/addons/self/info', { as: 'plain', method: 'POST', body: {} })).status).toBe(405);
  });
});

describe('uninstall', () => {
  it("revokes the add-on's token at once", async () => {
    const reg = emu.registerAddon({ configPath: writeAddonConfig(tmp.dir, { slug: 'gone' }), ip: '127.0.0.60' });
    expect((await call('/addons/self/info', { token: reg.token })).status).toBe(200);
    emu.unregisterAddon(reg.slug);
    expect((await call('/addons/self/info', { token: reg.token })).status).toBe(403);
    expect((await call(`/addons/${reg.slug}/info`, { as: 'reader' })).status).toBe(404);
  });
});

describe('request log', () => {
  it('records method, path, calling add-on and status', async () => {
    await call('/addons/self/info', { as: 'reader' });
    expect(emu.requests.at(-1)).toEqual({
      method: 'GET',
      path: '/addons/self/info',
      addon: slugOf('reader'),
      status: 200,
    });
    await call('/addons/self/info');
    expect(emu.requests.at(-1)).toEqual({ method: 'GET', path: '/addons/self/info', status: 401 });
  });
});
