import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_HA_VERSION, startHaSimulator, type HaSimulator } from './index';
import { RawClient, sleep } from './test-client';

let sim: HaSimulator;
beforeEach(async () => {
  sim = await startHaSimulator();
});
afterEach(async () => sim.stop());

describe('coalescing', () => {
  it('sends one object per frame until coalesce_messages is negotiated', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token, { coalesce: false });
    const sub = await client.subscribe({ type: 'subscribe_events', event_type: 'demo_tick' });
    const before = client.frames.length;
    for (let i = 0; i < 5; i++) sim.fireEvent('demo_tick', { i });
    for (let i = 0; i < 5; i++) await client.event(sub);
    const frames = client.frames.slice(before);
    expect(frames).toHaveLength(5);
    expect(frames.every((f) => !Array.isArray(f))).toBe(true);
    client.close();
  });

  it('batches messages queued in the same tick into one JSON array afterwards', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token);
    const sub = await client.subscribe({ type: 'subscribe_events', event_type: 'demo_tick' });
    const before = client.frames.length;
    for (let i = 0; i < 5; i++) sim.fireEvent('demo_tick', { i });
    for (let i = 0; i < 5; i++) await client.event(sub);
    const frames = client.frames.slice(before);
    expect(frames).toHaveLength(1);
    expect(Array.isArray(frames[0])).toBe(true);
    expect((frames[0] as Array<{ event: { data: { i: number } } }>).map((m) => m.event.data.i)).toEqual([
      0, 1, 2, 3, 4,
    ]);
    // A lone message still travels as a plain object.
    sim.fireEvent('demo_tick', { i: 5 });
    await client.event(sub);
    expect(Array.isArray(client.frames.at(-1))).toBe(false);
    client.close();
  });

  it('handles a JSON array of commands in order', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token, { coalesce: false });
    client.send([
      { id: 5, type: 'ping' },
      { id: 6, type: 'get_config' },
    ]);
    expect(await client.next()).toEqual({ id: 5, type: 'pong' });
    expect((await client.next())['id']).toBe(6);
    client.close();
  });
});

describe('message ids and errors', () => {
  it('requires strictly increasing ids', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token, { coalesce: false });
    client.send({ id: 10, type: 'ping' });
    await client.next((m) => m['id'] === 10);
    for (const id of [10, 3]) {
      client.send({ id, type: 'ping' });
      expect(await client.next((m) => m['id'] === id)).toEqual({
        id,
        type: 'result',
        success: false,
        error: { code: 'id_reuse', message: 'Identifier values have to increase.' },
      });
    }
    client.close();
  });

  it('answers unknown commands with unknown_command without consuming the id', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token, { coalesce: false });
    client.send({ id: 1, type: 'homeiq/nope' });
    expect(await client.next()).toEqual({
      id: 1,
      type: 'result',
      success: false,
      error: { code: 'unknown_command', message: 'Unknown command.' },
    });
    // HA only records the id once a handler ran, so the same id still works.
    client.send({ id: 1, type: 'ping' });
    expect(await client.next()).toEqual({ id: 1, type: 'pong' });
    client.close();
  });

  it('answers malformed messages with invalid_format', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token, { coalesce: false });
    client.send({ type: 'ping' });
    expect(await client.next()).toEqual({
      id: null,
      type: 'result',
      success: false,
      error: { code: 'invalid_format', message: 'Message incorrectly formatted.' },
    });
    client.send(['not a dict']);
    expect((await client.next())['id']).toBe(0);
    client.send({ id: 2, type: 'ping', extra: true });
    expect(await client.next()).toEqual({
      id: 2,
      type: 'result',
      success: false,
      error: { code: 'invalid_format', message: "extra keys not allowed @ data['extra']. Got True" },
    });
    client.send({ id: 3, type: 'history/history_during_period', entity_ids: ['sun.sun'] });
    expect(((await client.next())['error'] as { message: string }).message).toBe(
      "required key not provided @ data['start_time']. Got None",
    );
    client.close();
  });

  it('answers ping with a pong, not a result', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token);
    expect(await client.command({ type: 'ping' })).toEqual({ id: 2, type: 'pong' });
    client.close();
  });

  it('drops the connection on invalid JSON after auth', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token);
    client.send('{"id":');
    await client.closed;
    await sleep(10);
    expect(sim.clients()).toBe(0);
  });

  it('logs what clients sent', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token);
    await client.command({ type: 'get_config' });
    const mine = sim.received
      .filter((r) => r.clientId === sim.received.at(-1)?.clientId)
      .map((r) => (r.msg as { type: string }).type);
    expect(mine).toEqual(['auth', 'supported_features', 'get_config']);
    client.close();
  });
});

describe('basic commands', () => {
  it('get_states returns HA state dicts', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token);
    const reply = await client.command({ type: 'get_states' });
    const states = reply['result'] as Array<Record<string, unknown>>;
    expect(states.length).toBeGreaterThanOrEqual(20);
    for (const s of states) {
      expect(Object.keys(s)).toEqual([
        'entity_id',
        'state',
        'attributes',
        'last_changed',
        'last_reported',
        'last_updated',
        'context',
      ]);
    }
    expect(states.map((s) => s['entity_id'])).toContain('input_boolean.conformance_switch');
    client.close();
  });

  it('get_config and get_services answer', async () => {
    const client = await RawClient.connect(sim.wsUrl, sim.token);
    const config = (await client.command({ type: 'get_config' }))['result'] as Record<string, unknown>;
    expect(config).toMatchObject({
      version: DEFAULT_HA_VERSION,
      state: 'RUNNING',
      time_zone: 'UTC',
      location_name: 'Demo Home',
    });
    expect((config['unit_system'] as Record<string, string>)['temperature']).toBe('°C');
    const services = (await client.command({ type: 'get_services' }))['result'] as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(services['input_boolean'] ?? {})).toEqual(['turn_on', 'turn_off', 'toggle']);
    client.close();
  });
});
