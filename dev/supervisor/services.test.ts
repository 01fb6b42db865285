import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from './index.js';
import { tempDir, writeAddonConfig } from './test-helpers.js';

// The service registry as add-ons meet it: a broker add-on provides MQTT, others read it if they declared it.
const tmp = tempDir();
let emu: SupervisorEmulator;
const addons: Record<string, RegisteredAddon> = {};

beforeAll(async () => {
  emu = await startSupervisorEmulator();
  const defs = [
    { slug: 'broker', services: ['mqtt:provide'] },
    { slug: 'wants', services: ['mqtt:want'] },
    { slug: 'needs', services: ['mqtt:need', 'mysql:want'] },
    { slug: 'plain' },
  ];
  let ip = 60;
  for (const def of defs)
    addons[def.slug] = emu.registerAddon({ configPath: writeAddonConfig(tmp.dir, def), ip: `127.0.0.${ip++}` });
});
afterAll(async () => {
  await emu.stop();
  tmp.cleanup();
});

async function call(
  as: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: { result: string; data?: Record<string, unknown>; message?: string } }> {
  const headers: Record<string, string> = { authorization: `Bearer ${addons[as]?.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as never };
}

const BROKER = { host: 'core-mosquitto', port: 1883, username: 'addons', password: 'secret' };

describe('/services', () => {
  it('lists mqtt and mysql with availability and providers, for any add-on', async () => {
    const res = await call('plain', 'GET', '/services');
    expect(res.status).toBe(200);
    expect(res.json.data?.['services']).toEqual([
      { slug: 'mqtt', available: false, providers: [addons['broker']?.slug] },
      { slug: 'mysql', available: false, providers: [] },
    ]);
  });

  it('GET /services/mqtt: 403 without the role, 400 while no broker registered, 404 for an unknown service', async () => {
    expect(await call('plain', 'GET', '/services/mqtt')).toEqual({
      status: 403,
      json: { result: 'error', message: 'No access to mqtt service!' },
    });
    expect(await call('wants', 'GET', '/services/mqtt')).toEqual({
      status: 400,
      json: { result: 'error', message: 'Service not enabled' },
    });
    expect((await call('wants', 'GET', '/services/redis')).status).toBe(404);
  });

  it('a provider registers the broker; want and need read it with defaults and the provider slug', async () => {
    expect((await call('wants', 'POST', '/services/mqtt', BROKER)).json.message).toBe(
      'No access to write mqtt service!',
    );
    expect((await call('broker', 'POST', '/services/mqtt', { host: 'x' })).json.message).toBe(
      "required key not provided @ data['port']",
    );
    expect((await call('broker', 'POST', '/services/mqtt', BROKER)).status).toBe(200);
    const expected = { ...BROKER, ssl: false, protocol: '3.1.1', addon: addons['broker']?.slug };
    expect((await call('wants', 'GET', '/services/mqtt')).json.data).toEqual(expected);
    expect((await call('needs', 'GET', '/services/mqtt')).json.data).toEqual(expected);
    expect((await call('broker', 'POST', '/services/mqtt', BROKER)).json.message).toBe(
      `There is already a MQTT service in use from ${addons['broker']?.slug}`,
    );
    expect((await call('plain', 'GET', '/services')).json.data?.['services']).toContainEqual({
      slug: 'mqtt',
      available: true,
      providers: [addons['broker']?.slug],
    });
  });

  it('the provider removes it again; a second removal is refused', async () => {
    expect((await call('broker', 'DELETE', '/services/mqtt')).status).toBe(200);
    expect((await call('wants', 'GET', '/services/mqtt')).json.message).toBe('Service not enabled');
    expect((await call('broker', 'DELETE', '/services/mqtt')).json.message).toBe("Can't remove not exists services");
  });
});
