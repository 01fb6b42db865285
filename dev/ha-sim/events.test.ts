import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmptyHome, startHaSimulator, type HaSimulator } from './index';
import { RawClient, sleep, type Msg } from './test-client';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ulidMs = (id: string) => [...id.slice(0, 10)].reduce((acc, c) => acc * 32 + CROCKFORD.indexOf(c), 0);

let sim: HaSimulator;
let client: RawClient;
beforeEach(async () => {
  sim = await startHaSimulator({ home: createEmptyHome() });
  client = await RawClient.connect(sim.wsUrl, sim.token);
});
afterEach(async () => {
  client.close();
  await sim.stop();
});

type StateDict = {
  last_changed: string;
  last_updated: string;
  last_reported: string;
  state: string;
  context: Msg;
  attributes: Msg;
};

describe('state_changed events', () => {
  it('have exactly the fields HA sends', async () => {
    sim.setState('sensor.t', '21.4', { unit_of_measurement: '°C' });
    const sub = await client.subscribe({ type: 'subscribe_events', event_type: 'state_changed' });
    sim.setState('sensor.t', '21.5', { unit_of_measurement: '°C' });
    const msg = await client.next((m) => m['id'] === sub && m['type'] === 'event');
    // Today's core appends the subscription id last.
    expect(Object.keys(msg)).toEqual(['type', 'event', 'id']);
    const event = msg['event'] as Msg;
    expect(Object.keys(event)).toEqual(['event_type', 'data', 'origin', 'time_fired', 'context']);
    expect(event['event_type']).toBe('state_changed');
    expect(event['origin']).toBe('LOCAL');
    const data = event['data'] as { entity_id: string; old_state: StateDict; new_state: StateDict };
    expect(Object.keys(data)).toEqual(['entity_id', 'old_state', 'new_state']);
    expect(data.entity_id).toBe('sensor.t');
    for (const s of [data.old_state, data.new_state]) {
      expect(Object.keys(s)).toEqual([
        'entity_id',
        'state',
        'attributes',
        'last_changed',
        'last_reported',
        'last_updated',
        'context',
      ]);
      expect(Object.keys(s.context)).toEqual(['id', 'parent_id', 'user_id']);
      for (const t of [s.last_changed, s.last_reported, s.last_updated]) expect(t).toMatch(ISO);
    }
    expect(data.old_state.state).toBe('21.4');
    expect(data.new_state).toMatchObject({
      entity_id: 'sensor.t',
      state: '21.5',
      attributes: { unit_of_measurement: '°C' },
    });
    expect(event['time_fired']).toBe(data.new_state.last_updated);
    expect(event['context']).toEqual(data.new_state.context);
    const ctx = event['context'] as { id: string; parent_id: null; user_id: null };
    expect(ctx.id).toMatch(ULID);
    expect(ctx).toMatchObject({ parent_id: null, user_id: null });
    // The ULID's time part is the event time (ulid_at_time).
    expect(ulidMs(ctx.id)).toBe(Math.floor(Date.parse(`${data.new_state.last_updated.slice(0, 23)}Z`)));
  });

  it('move last_changed only on state changes and last_updated on attribute changes', async () => {
    const sub = await client.subscribe({ type: 'subscribe_events', event_type: 'state_changed' });
    const next = async () => (await client.event(sub))['data'] as { new_state: StateDict; old_state: StateDict | null };
    sim.setState('light.l', 'on', { brightness: 10 });
    const added = await next();
    expect(added.old_state).toBeNull();
    expect(added.new_state.last_changed).toBe(added.new_state.last_updated);
    sim.setState('light.l', 'on', { brightness: 20 });
    const attrOnly = await next();
    expect(attrOnly.new_state.last_changed).toBe(added.new_state.last_changed);
    expect(attrOnly.new_state.last_updated > added.new_state.last_updated).toBe(true);
    expect(attrOnly.new_state.last_reported).toBe(attrOnly.new_state.last_updated);
    sim.setState('light.l', 'off', { brightness: 20 });
    const changed = await next();
    expect(changed.new_state.last_changed).toBe(changed.new_state.last_updated);
    expect(changed.new_state.last_changed > attrOnly.new_state.last_changed).toBe(true);
  });

  it('fire nothing a client can see for an unchanged write: state_reported is refused, last_reported stays put on the wire', async () => {
    sim.setState('sensor.flat', '5');
    const changed = await client.subscribe({ type: 'subscribe_events', event_type: 'state_changed' });
    const all = await client.subscribe({ type: 'subscribe_events' });
    expect(await client.command({ type: 'subscribe_events', event_type: 'state_reported' })).toMatchObject({
      success: false,
      error: { code: 'home_assistant_error', message: 'Event filter is required for event state_reported' },
    });
    const before = sim.states()[0] as unknown as StateDict;
    await sleep(5);
    sim.setState('sensor.flat', '5');
    await sleep(20);
    // Neither the state_changed nor the "*" subscription saw anything (state_reported is excluded from MATCH_ALL).
    expect(client.drain().filter((m) => m['id'] === changed || m['id'] === all)).toEqual([]);
    // HA moved last_reported, but the state's serialised form was cached at the change (measured on 2025.4.4).
    expect(sim.states()[0]).toEqual(before);
    expect(before.last_reported).toBe(before.last_updated);
  });

  it('2024.3 (legacy): no last_reported, and an unchanged write does nothing', async () => {
    const old = await startHaSimulator({ home: createEmptyHome(), legacy: true });
    const c = await RawClient.connect(old.wsUrl, old.token);
    try {
      old.setState('sensor.flat', '5');
      const before = old.states()[0] as unknown as Msg;
      expect(Object.keys(before)).toEqual([
        'entity_id',
        'state',
        'attributes',
        'last_changed',
        'last_updated',
        'context',
      ]);
      const reported = await c.subscribe({ type: 'subscribe_events', event_type: 'state_reported' });
      const changed = await c.subscribe({ type: 'subscribe_events', event_type: 'state_changed' });
      await sleep(5);
      old.setState('sensor.flat', '5');
      await sleep(20);
      expect(c.drain().filter((m) => m['id'] === changed || m['id'] === reported)).toEqual([]);
      expect(old.states()[0]).toEqual(before);
    } finally {
      c.close();
      await old.stop();
    }
  });

  it('force_update fires state_changed and moves last_changed even when nothing changed', async () => {
    sim.setState('sensor.f', '1');
    const sub = await client.subscribe({ type: 'subscribe_events', event_type: 'state_changed' });
    sim.setState('sensor.f', '1', {}, { forceUpdate: true });
    const data = (await client.event(sub))['data'] as { old_state: StateDict; new_state: StateDict };
    expect(data.new_state.last_changed > data.old_state.last_changed).toBe(true);
  });

  it('removal carries new_state null', async () => {
    sim.setState('sensor.gone', '1');
    const sub = await client.subscribe({ type: 'subscribe_events', event_type: 'state_changed' });
    sim.removeState('sensor.gone');
    const data = (await client.event(sub))['data'] as Msg;
    expect(data['new_state']).toBeNull();
    expect((data['old_state'] as StateDict).state).toBe('1');
    expect(sim.states()).toEqual([]);
  });

  it('delivers custom events to "*" and stops after unsubscribe_events', async () => {
    const sub = await client.subscribe({ type: 'subscribe_events' });
    sim.fireEvent('homeiq_custom', { a: 1 });
    const event = await client.event(sub);
    expect(event).toMatchObject({ event_type: 'homeiq_custom', data: { a: 1 }, origin: 'LOCAL' });
    expect(await client.command({ type: 'unsubscribe_events', subscription: sub })).toMatchObject({ success: true });
    sim.fireEvent('homeiq_custom', { a: 2 });
    await sleep(20);
    expect(client.drain()).toEqual([]);
    expect(await client.command({ type: 'unsubscribe_events', subscription: sub })).toMatchObject({
      success: false,
      error: { code: 'not_found', message: 'Subscription not found.' },
    });
  });

  it('service calls carry the user context and fire call_service', async () => {
    sim.setState('input_boolean.x', 'off', { editable: false, friendly_name: 'X' });
    const sub = await client.subscribe({ type: 'subscribe_events' });
    const result = await client.command({
      type: 'call_service',
      domain: 'input_boolean',
      service: 'toggle',
      target: { entity_id: 'input_boolean.x' },
    });
    const ctx = (result['result'] as { context: { id: string; user_id: string; parent_id: null } }).context;
    expect(ctx.user_id).toMatch(/^[0-9a-f]{32}$/);
    expect(ctx.parent_id).toBeNull();
    const call = await client.event(sub, (e) => e['event_type'] === 'call_service');
    expect(call['data']).toEqual({
      domain: 'input_boolean',
      service: 'toggle',
      service_data: { entity_id: 'input_boolean.x' },
    });
    const change = await client.event(sub, (e) => e['event_type'] === 'state_changed');
    expect((change['data'] as { new_state: StateDict }).new_state).toMatchObject({ state: 'on', context: ctx });
    expect(change['context']).toEqual(ctx);
  });

  it('rejects unknown services and out-of-range values like HA', async () => {
    sim.setState('input_number.n', '5.0', { min: 0, max: 10, step: 1 });
    expect(await client.command({ type: 'call_service', domain: 'nope', service: 'x' })).toMatchObject({
      success: false,
      error: { code: 'not_found', message: 'Service nope.x not found.' },
    });
    const bad = await client.command({
      type: 'call_service',
      domain: 'input_number',
      service: 'set_value',
      service_data: { entity_id: 'input_number.n', value: 11 },
    });
    expect(bad).toMatchObject({ success: false, error: { code: 'invalid_format' } });
    await client.command({
      type: 'call_service',
      domain: 'input_number',
      service: 'set_value',
      service_data: { entity_id: 'input_number.n', value: 7 },
    });
    expect(sim.states()[0]?.state).toBe('7.0');
  });
});
