import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from './index.js';
import { startFakeCore, tempDir, writeAddonConfig, type FakeCore } from './test-helpers.js';
import { until } from '../until.js';

const tmp = tempDir();
let core: FakeCore;
let emu: SupervisorEmulator;
let withApi: RegisteredAddon;
let withoutApi: RegisteredAddon;

beforeAll(async () => {
  core = await startFakeCore();
  emu = await startSupervisorEmulator({ core: { url: core.url, token: core.token } });
  withApi = emu.registerAddon({
    configPath: writeAddonConfig(tmp.dir, { slug: 'ha', homeassistant_api: true }),
    ip: '127.0.0.71',
  });
  withoutApi = emu.registerAddon({
    configPath: writeAddonConfig(tmp.dir, { slug: 'noha', hassio_api: true, hassio_role: 'admin' }),
    ip: '127.0.0.72',
  });
});
afterEach(() => {
  core.requests.length = 0;
  core.state = 'RUNNING';
  emu.setCore({ url: core.url, token: core.token });
});
afterAll(async () => {
  await emu.stop();
  await core.close();
  tmp.cleanup();
});

const bearer = (a: RegisteredAddon): Record<string, string> => ({ authorization: `Bearer ${a.token}` });

describe('/core/api REST proxy', () => {
  it("relays GET with Core's token, the query and the status, from 127.0.0.2", async () => {
    const res = await fetch(`${emu.url}/core/api/config?a=1&b=two`, {
      headers: { ...bearer(withApi), 'x-custom': 'no' },
    });
    expect(res.status).toBe(201);
    // Core's Content-Type is rebuilt from the bare media type; its other headers are not relayed.
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-core-only')).toBeNull();
    expect(await res.json()).toMatchObject({ method: 'GET', url: '/api/config?a=1&b=two' });
    const seen = core.requests[0];
    expect(seen?.headers.authorization).toBe(`Bearer ${core.token}`);
    expect(seen?.headers['x-custom']).toBeUndefined();
    expect(seen?.remoteAddress).toBe('127.0.0.2');
  });

  it('relays POST bodies with Content-Type and the forwarded headers only', async () => {
    const res = await fetch(`${emu.url}/core/api/services/light/turn_on`, {
      method: 'POST',
      headers: {
        ...bearer(withApi),
        'content-type': 'application/json',
        accept: 'application/json',
        'x-speech-content': 'x',
        cookie: 'a=b',
      },
      body: JSON.stringify({ entity_id: 'light.kitchen' }),
    });
    expect(res.status).toBe(201);
    const seen = core.requests[0];
    expect(seen?.body).toBe('{"entity_id":"light.kitchen"}');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers.accept).toBe('application/json');
    expect(seen?.headers['x-speech-content']).toBe('x');
    expect(seen?.headers.cookie).toBeUndefined();
  });

  it('401 without homeassistant_api, for unknown tokens, and for X-Supervisor-Token alone', async () => {
    for (const headers of [
      bearer(withoutApi),
      { authorization: 'Bearer nope' },
      { 'x-supervisor-token': withApi.token },
    ]) {
      const res = await fetch(`${emu.url}/core/api/config`, { headers });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('401: Unauthorized');
    }
    expect(core.requests).toHaveLength(0);
  });

  it('accepts the legacy X-Ha-Access header', async () => {
    const res = await fetch(`${emu.url}/core/api/config`, { headers: { 'x-ha-access': withApi.token } });
    expect(res.status).toBe(201);
  });

  it('blocks /core/api/hassio/* whoever asks, and verbs other than GET/POST', async () => {
    expect((await fetch(`${emu.url}/core/api/hassio/addons`, { headers: bearer(withApi) })).status).toBe(403);
    expect(
      (await fetch(`${emu.url}/core/api/states/light.x`, { method: 'DELETE', headers: bearer(withApi) })).status,
    ).toBe(405);
    expect(core.requests).toHaveLength(0);
  });

  it('502 while Core is not RUNNING, without Core, and when Core is unreachable', async () => {
    core.state = 'NOT_RUNNING';
    expect((await fetch(`${emu.url}/core/api/config`, { headers: bearer(withApi) })).status).toBe(502);
    core.state = 'RUNNING';
    emu.setCore(undefined);
    expect((await fetch(`${emu.url}/core/api/config`, { headers: bearer(withApi) })).status).toBe(502);
    emu.setCore({ url: 'http://127.0.0.1:1', token: 'x' });
    expect((await fetch(`${emu.url}/core/api/config`, { headers: bearer(withApi) })).status).toBe(502);
    expect(core.requests).toHaveLength(0);
  });

  it('follows setCore to a Core on another port', async () => {
    const other = await startFakeCore('other-token');
    try {
      emu.setCore({ url: other.url, token: other.token });
      const res = await fetch(`${emu.url}/core/api/config`, { headers: bearer(withApi) });
      expect(res.status).toBe(201);
      expect(other.requests[0]?.headers.authorization).toBe('Bearer other-token');
      expect(core.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('streams server-sent events as they happen and closes Core’s stream when the add-on hangs up', async () => {
    const received: string[] = [];
    const req = http.get(`${emu.url}/core/api/stream`, { headers: bearer(withApi) });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => received.push(chunk));
    await until('one open Core stream', () => core.openStreams() === 1, 5000);
    core.emit('first');
    await until('the first event', () => received.join('').includes('data: first'), 5000);
    core.emit('second');
    await until('the second event', () => received.join('').includes('data: second'), 5000);
    req.destroy();
    await until('the Core stream closed', () => core.openStreams() === 0, 5000);
  });
});
