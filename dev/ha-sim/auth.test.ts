import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_HA_VERSION, LEGACY_HA_VERSION, startHaSimulator, type HaSimulator } from './index';
import { RawClient } from './test-client';

let sim: HaSimulator;
afterEach(async () => sim?.stop());

describe('auth phase', () => {
  it('greets with auth_required and accepts the right token', async () => {
    sim = await startHaSimulator({ token: 'good-token' });
    const client = await RawClient.open(sim.wsUrl);
    expect(await client.next()).toEqual({ type: 'auth_required', ha_version: DEFAULT_HA_VERSION });
    client.send({ type: 'auth', access_token: 'good-token' });
    expect(await client.next()).toEqual({ type: 'auth_ok', ha_version: DEFAULT_HA_VERSION });
    expect(await client.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    client.close();
  });

  it("rejects a wrong token with HA's message and closes", async () => {
    sim = await startHaSimulator({ token: 'good-token' });
    const client = await RawClient.open(sim.wsUrl);
    client.send({ type: 'auth', access_token: 'nope' });
    const reply = await client.next((m) => m['type'] !== 'auth_required');
    expect(reply).toEqual({ type: 'auth_invalid', message: 'Invalid access token or password' });
    expect((await client.closed).code).toBe(1000);
  });

  it('rejects a malformed auth message', async () => {
    sim = await startHaSimulator();
    const client = await RawClient.open(sim.wsUrl);
    client.send({ type: 'auth', access_token: sim.token, id: 1 });
    const reply = await client.next((m) => m['type'] !== 'auth_required');
    expect(reply['type']).toBe('auth_invalid');
    expect(reply['message']).toBe("Auth message incorrectly formatted: extra keys not allowed @ data['id']. Got 1");
    await client.closed;
  });

  it('closes a socket that sends no auth within the timeout', async () => {
    sim = await startHaSimulator({ authTimeoutMs: 100 });
    const client = await RawClient.open(sim.wsUrl);
    const started = Date.now();
    await client.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(client.frames).toEqual([{ type: 'auth_required', ha_version: sim.version }]);
  });

  it('drops the connection on invalid JSON during auth', async () => {
    sim = await startHaSimulator();
    const client = await RawClient.open(sim.wsUrl);
    client.send('{not json');
    await client.closed;
    expect(client.frames).toHaveLength(1);
  });

  it('announces the legacy version in legacy mode', async () => {
    sim = await startHaSimulator({ legacy: true });
    const client = await RawClient.connect(sim.wsUrl, sim.token);
    expect(sim.version).toBe(LEGACY_HA_VERSION);
    expect(client.frames[1]).toEqual({ type: 'auth_ok', ha_version: LEGACY_HA_VERSION });
    client.close();
  });
});
