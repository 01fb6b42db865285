// The official client must work against the simulator unchanged: it is what
// real HA frontends and many integrations speak.

import {
  callService,
  createConnection,
  createLongLivedTokenAuth,
  ERR_INVALID_AUTH,
  getStates,
  subscribeEntities,
  type Connection,
  type HassEntities,
  type HassEvent,
} from 'home-assistant-js-websocket';
import { afterEach, describe, expect, it } from 'vitest';
import { startHaSimulator, type HaSimulator } from './index';
import { until } from '../until.js';

let sim: HaSimulator;
let conn: Connection | undefined;
afterEach(async () => {
  conn?.close();
  conn = undefined;
  await sim?.stop();
});

describe('home-assistant-js-websocket against the simulator', () => {
  it('authenticates, follows entities, receives events and calls services', async () => {
    sim = await startHaSimulator();
    conn = await createConnection({ auth: createLongLivedTokenAuth(sim.url, sim.token) });
    expect(conn.haVersion).toBe(sim.version);
    // The client negotiates coalescing right after auth_ok.
    await until(
      'supported_features',
      () => sim.received.some((r) => (r.msg as { type?: string }).type === 'supported_features'),
      2000,
    );

    let entities: HassEntities = {};
    const unsubEntities = subscribeEntities(conn, (e) => (entities = e));
    await until('initial entities', () => Object.keys(entities).length === sim.states().length, 2000);
    expect(entities['input_boolean.conformance_switch']?.state).toBe('off');

    const events: HassEvent[] = [];
    const unsubEvents = await conn.subscribeEvents<HassEvent>((e) => void events.push(e), 'state_changed');

    await callService(conn, 'input_boolean', 'toggle', undefined, { entity_id: 'input_boolean.conformance_switch' });
    await until('entity update', () => entities['input_boolean.conformance_switch']?.state === 'on', 2000);
    await until(
      'state_changed',
      () => events.some((e) => e.data['entity_id'] === 'input_boolean.conformance_switch'),
      2000,
    );
    const changed = events.find((e) => e.data['entity_id'] === 'input_boolean.conformance_switch');
    expect(changed?.data['new_state']).toMatchObject({ state: 'on' });

    // The collection applies attribute diffs and timestamps the way the frontend does.
    sim.setState('sensor.house_power', '999.0', {
      ...sim.states().find((s) => s.entity_id === 'sensor.house_power')?.attributes,
      extra: 1,
    });
    await until('sensor diff', () => entities['sensor.house_power']?.state === '999.0', 2000);
    expect(entities['sensor.house_power']?.attributes['extra']).toBe(1);
    const simState = sim.states().find((s) => s.entity_id === 'sensor.house_power');
    // The client turns the float `lc` into an ISO string with millisecond precision.
    expect(Date.parse(entities['sensor.house_power']?.last_changed ?? '')).toBe(
      Date.parse(simState?.last_changed ?? ''),
    );
    expect(entities['sensor.house_power']?.context.id).toBe(simState?.context.id);

    sim.removeState('sensor.house_power');
    await until('entity removal', () => !('sensor.house_power' in entities), 2000);
    const states = await getStates(conn);
    expect(states.length).toBe(sim.states().length);
    unsubEntities();
    await unsubEvents();
  });

  it('reconnects and resubscribes after the connections drop', async () => {
    sim = await startHaSimulator();
    conn = await createConnection({ auth: createLongLivedTokenAuth(sim.url, sim.token) });
    const seen: string[] = [];
    await conn.subscribeEvents<HassEvent>((e) => void seen.push(e.event_type), 'homeiq_ping');
    let ready = 0;
    conn.addEventListener('ready', () => ready++);
    sim.dropConnections();
    await until('reconnect', () => ready === 1, 5000);
    await until(
      'resubscribe',
      () => sim.received.filter((r) => (r.msg as { type?: string }).type === 'subscribe_events').length === 2,
      2000,
    );
    sim.fireEvent('homeiq_ping');
    await until('event after reconnect', () => seen.length === 1, 2000);
  });

  it('reports a bad token as ERR_INVALID_AUTH', async () => {
    sim = await startHaSimulator();
    await expect(createConnection({ auth: createLongLivedTokenAuth(sim.url, 'wrong') })).rejects.toBe(ERR_INVALID_AUTH);
  });
});
