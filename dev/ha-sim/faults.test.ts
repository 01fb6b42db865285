import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startHaSimulator, type HaSimulator } from './index';
import { RawClient, sleep, type Msg } from './test-client';
import { until } from '../until.js';

let sim: HaSimulator;
afterEach(async () => sim?.stop());

describe('dropConnections', () => {
  it('kills every socket without a close frame and keeps serving', async () => {
    sim = await startHaSimulator();
    const a = await RawClient.connect(sim.wsUrl, sim.token);
    const b = await RawClient.connect(sim.wsUrl, sim.token);
    expect(sim.clients()).toBe(2);
    sim.dropConnections();
    expect((await a.closed).code).toBe(1006);
    expect((await b.closed).code).toBe(1006);
    expect(sim.clients()).toBe(0);
    const c = await RawClient.connect(sim.wsUrl, sim.token);
    expect(await c.command({ type: 'ping' })).toMatchObject({ type: 'pong' });
    c.close();
  });
});

describe('restart', () => {
  it('closes clients, refuses connections while down, then re-adds every entity', async () => {
    sim = await startHaSimulator();
    const before = new Map(sim.states().map((s) => [s.entity_id, s]));
    const old = await RawClient.connect(sim.wsUrl, sim.token);
    const restartAt = new Date().toISOString();
    const restarting = sim.restart({ downMs: 150, startupMs: 400 });
    await old.closed;
    await expect(RawClient.open(sim.wsUrl)).rejects.toThrow(/ECONNREFUSED/);

    // Reconnect as soon as the port is back, in time to watch startup.
    const client = await until('the port back', () => RawClient.connect(sim.wsUrl, sim.token), 5000);
    const config = (await client.command({ type: 'get_config' }))['result'] as Msg;
    expect(config['state']).toBe('STARTING');
    const sub = await client.subscribe({ type: 'subscribe_events' });
    await restarting;

    const started = await client.event(sub, (e) => e['event_type'] === 'homeassistant_started');
    expect(started['event_type']).toBe('homeassistant_started');
    const events = [
      ...client
        .drain()
        .filter((m) => m['id'] === sub)
        .map((m) => m['event'] as Msg),
    ];
    const added = events.filter((e) => e['event_type'] === 'state_changed');
    expect(added).toHaveLength(before.size);
    for (const e of added) {
      const data = e['data'] as {
        entity_id: string;
        old_state: null;
        new_state: { state: string; last_updated: string; last_changed: string };
      };
      expect(data.old_state).toBeNull();
      expect(data.new_state.state).toBe(before.get(data.entity_id)?.state);
      expect(data.new_state.last_updated > restartAt).toBe(true);
      expect(data.new_state.last_changed).toBe(data.new_state.last_updated);
    }
    expect(events.map((e) => e['event_type']).filter((t) => t !== 'state_changed')).toEqual(['homeassistant_start']);
    expect(((await client.command({ type: 'get_config' }))['result'] as Msg)['state']).toBe('RUNNING');

    // History spans the restart: the old row, then the re-added one.
    const history = (
      await client.command({
        type: 'history/history_during_period',
        start_time: new Date(Date.now() - 60_000).toISOString(),
        entity_ids: ['input_boolean.conformance_switch'],
        include_start_time_state: false,
      })
    )['result'] as Record<string, Msg[]>;
    expect(history['input_boolean.conformance_switch']).toHaveLength(2);
    client.close();
  });
});

describe('hang', () => {
  it('answers nothing while hung, then catches up in order', async () => {
    sim = await startHaSimulator();
    const client = await RawClient.connect(sim.wsUrl, sim.token);
    const sub = await client.subscribe({ type: 'subscribe_events', event_type: 'state_changed' });
    const gotWsPong = new Promise<number>((resolve) => client.ws.once('pong', () => resolve(Date.now())));
    const hungAt = Date.now();
    sim.hang(300);
    client.send({ id: 100, type: 'ping' });
    client.ws.ping();
    sim.setState('sensor.living_room_temperature', '30.0');
    const rest = fetch(`${sim.url}/api/`, { headers: { Authorization: `Bearer ${sim.token}` } }).then(() => Date.now());
    await sleep(200);
    expect(client.drain()).toEqual([]);
    const pong = await client.next((m) => m['id'] === 100, 2000);
    expect(pong).toEqual({ id: 100, type: 'pong' });
    expect(Date.now() - hungAt).toBeGreaterThanOrEqual(280);
    expect(await gotWsPong).toBeGreaterThanOrEqual(hungAt + 280);
    expect(await rest).toBeGreaterThanOrEqual(hungAt + 280);
    expect((await client.event(sub))['data']).toMatchObject({ entity_id: 'sensor.living_room_temperature' });
    client.close();
  });
});

describe('heartbeat', () => {
  it('drops a client that does not answer WebSocket pings', async () => {
    sim = await startHaSimulator({ heartbeatMs: 100 });
    const silent = new WebSocket(sim.wsUrl, { autoPong: false });
    const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    const healthy = await RawClient.connect(sim.wsUrl, sim.token);
    expect(await closed).toBe(1006);
    await sleep(150);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    await until('one client', () => sim.clients() === 1, 2000);
    healthy.close();
  });
});
