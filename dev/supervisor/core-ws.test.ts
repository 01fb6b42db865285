import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from './index.js';
import { openWs, startFakeCore, tempDir, writeAddonConfig, type FakeCore, type TestWs } from './test-helpers.js';
import { until } from '../until.js';

const tmp = tempDir();
let core: FakeCore;
let emu: SupervisorEmulator;
let withApi: RegisteredAddon;
let withoutApi: RegisteredAddon;
const open: TestWs[] = [];

function connect(path = '/core/websocket'): TestWs {
  const t = openWs(`${emu.url.replace('http:', 'ws:')}${path}`);
  open.push(t);
  return t;
}

/**
 * Connects and completes the add-on side of the handshake. The add-on gets auth_ok before the emulator
 * has reached Core, so unless told otherwise this also waits for Core's side of the session to exist.
 */
async function authed(addon = withApi, waitForCore = true): Promise<TestWs> {
  const sessionsBefore = core.sessions.length;
  const t = connect();
  expect(await t.next()).toEqual({ type: 'auth_required', ha_version: '2099.1.0' });
  t.ws.send(JSON.stringify({ type: 'auth', access_token: addon.token }));
  expect(await t.next()).toEqual({ type: 'auth_ok', ha_version: '2099.1.0' });
  if (waitForCore) await until('a new Core session', () => core.sessions.length > sessionsBefore, 5000);
  return t;
}

beforeAll(async () => {
  core = await startFakeCore();
  emu = await startSupervisorEmulator({
    core: { url: core.url, token: core.token, version: '2099.1.0' },
    wsAuthTimeoutMs: 200,
  });
  withApi = emu.registerAddon({
    configPath: writeAddonConfig(tmp.dir, { slug: 'ha', homeassistant_api: true }),
    ip: '127.0.0.81',
  });
  withoutApi = emu.registerAddon({
    configPath: writeAddonConfig(tmp.dir, { slug: 'noha', hassio_api: true }),
    ip: '127.0.0.82',
  });
});
afterEach(() => {
  for (const t of open.splice(0)) t.ws.terminate();
  emu.setCore({ url: core.url, token: core.token, version: '2099.1.0' });
});
afterAll(async () => {
  await emu.stop();
  await core.close();
  tmp.cleanup();
});

describe('/core/websocket handshake', () => {
  it('answers auth_ok for an add-on with homeassistant_api, then relays to Core', async () => {
    const sessionsBefore = core.sessions.length;
    const t = await authed();
    t.ws.send(JSON.stringify({ id: 1, type: 'get_states' }));
    expect(await t.next()).toEqual({
      id: 1,
      type: 'result',
      success: true,
      result: { echo: { id: 1, type: 'get_states' } },
    });
    expect(core.sessions.length).toBe(sessionsBefore + 1);
    expect(emu.requests.some((r) => r.path === '/core/websocket' && r.status === 101 && r.addon === withApi.slug)).toBe(
      true,
    );
  });

  it('accepts the legacy api_password key and the /homeassistant alias', async () => {
    const t = connect('/homeassistant/websocket');
    await t.next();
    t.ws.send(JSON.stringify({ type: 'auth', api_password: withApi.token }));
    expect((await t.next())['type']).toBe('auth_ok');
  });

  it('auth_invalid for an unknown token, then closes', async () => {
    const t = connect();
    await t.next();
    t.ws.send(JSON.stringify({ type: 'auth', access_token: 'nope' }));
    expect(await t.next()).toEqual({ type: 'auth_invalid', message: 'Invalid access' });
    await t.closed;
  });

  it('auth_invalid for an add-on without homeassistant_api', async () => {
    const t = connect();
    await t.next();
    t.ws.send(JSON.stringify({ type: 'auth', access_token: withoutApi.token }));
    expect(await t.next()).toEqual({ type: 'auth_invalid', message: 'Invalid access' });
    await t.closed;
  });

  it('closes when no auth message arrives within the (injected) timeout', async () => {
    const t = connect();
    await t.next();
    const started = Date.now();
    await t.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await expect(t.next(50)).rejects.toThrow();
  });

  it('does not lose commands sent before Core is connected', async () => {
    const t = connect();
    await t.next();
    t.ws.send(JSON.stringify({ type: 'auth', access_token: withApi.token }));
    t.ws.send(JSON.stringify({ id: 7, type: 'ping' }));
    expect((await t.next())['type']).toBe('auth_ok');
    expect(await t.next()).toMatchObject({ id: 7, success: true });
  });
});

describe('/core/websocket relay', () => {
  it('answers supervisor/* and hassio/* commands locally as unauthorized', async () => {
    const t = await authed();
    const before = core.requests.length;
    t.ws.send(JSON.stringify({ id: 2, type: 'supervisor/api', endpoint: '/addons', method: 'get' }));
    expect(await t.next()).toMatchObject({ id: 2, type: 'result', success: false, error: { code: 'unauthorized' } });
    t.ws.send(
      JSON.stringify([
        { id: 3, type: 'hassio/addon/info' },
        { id: 4, type: 'get_config' },
      ]),
    );
    const replies = [await t.next(), await t.next()];
    expect(replies).toContainEqual(expect.objectContaining({ id: 3, success: false }));
    expect(replies).toContainEqual(expect.objectContaining({ id: 4, success: true }));
    expect(core.requests.length).toBe(before);
  });

  it('relays binary frames as binary and text as text', async () => {
    const t = await authed();
    const got = new Promise<[Buffer, boolean]>((resolve) =>
      t.ws.once('message', (d, isBinary) => resolve([d as Buffer, isBinary])),
    );
    t.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const [data, isBinary] = await got;
    expect(isBinary).toBe(true);
    expect([...data]).toEqual([1, 2, 3]);
  });

  it('closing the add-on side closes the Core side, and the other way round', async () => {
    const a = await authed();
    const coreSideA = core.sessions.at(-1);
    a.ws.close();
    await until('the Core side closed', () => coreSideA?.readyState === WebSocket.CLOSED, 5000);

    const b = await authed();
    core.sessions.at(-1)?.close();
    expect(await b.closed).toBe(1000);
  });

  it('refuses the upgrade with 502 when Core is unreachable, and works again after setCore', async () => {
    emu.setCore({ url: 'http://127.0.0.1:1', token: 'x' });
    const t = connect();
    const status = await new Promise<number | undefined>((resolve) =>
      t.ws.once('unexpected-response', (_req, res) => resolve(res.statusCode)),
    );
    expect(status).toBe(502);
    emu.setCore({ url: core.url, token: core.token, version: '2099.1.0' });
    const again = await authed();
    again.ws.send(JSON.stringify({ id: 9, type: 'ping' }));
    expect(await again.next()).toMatchObject({ id: 9, success: true });
  });

  it("closes the add-on's socket right after auth_ok when Core refuses the emulator's token", async () => {
    emu.setCore({ url: core.url, token: 'wrong', version: '2099.1.0' });
    const t = await authed(withApi, false);
    expect(await t.closed).toBe(1000);
  });
});

describe('/core/websocket backpressure', () => {
  it('pauses Core while the add-on is slow, losing nothing', async () => {
    const t = await authed();
    const coreSide = core.sessions.at(-1);
    t.ws.pause();
    const payload = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 24; i++) coreSide?.send(JSON.stringify({ id: i, type: 'event', payload }));
    await new Promise((r) => setTimeout(r, 100));
    t.ws.resume();
    for (let i = 0; i < 24; i++) expect((await t.next())['id']).toBe(i);
  });

  it('gives up on an add-on that stops reading once the bound is passed', async () => {
    const small = await startSupervisorEmulator({
      core: { url: core.url, token: core.token },
      maxWsBufferedBytes: 256 * 1024,
    });
    try {
      const addon = small.registerAddon({
        configPath: writeAddonConfig(tmp.dir, { slug: 'slow', homeassistant_api: true }),
        ip: '127.0.0.83',
      });
      const t = openWs(`${small.url.replace('http:', 'ws:')}/core/websocket`);
      open.push(t);
      await t.next();
      const sessionsBefore = core.sessions.length;
      t.ws.send(JSON.stringify({ type: 'auth', access_token: addon.token }));
      expect((await t.next())['type']).toBe('auth_ok');
      await until('a new Core session', () => core.sessions.length > sessionsBefore, 5000);
      const coreSide = core.sessions.at(-1);
      t.ws.pause();
      const payload = 'y'.repeat(1024 * 1024);
      for (let i = 0; i < 48; i++) coreSide?.send(JSON.stringify({ id: i, type: 'event', payload }));
      await until('the Core side closed', () => coreSide?.readyState === WebSocket.CLOSED, 10_000);
      t.ws.resume();
      expect(await t.closed).toBe(1006);
    } finally {
      await small.stop();
    }
  });
});
