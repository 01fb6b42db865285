import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmptyHome, startHaSimulator, type HaSimulator } from './index';
import { RawClient, type Msg } from './test-client';

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

/** Float epoch seconds of an HA timestamp, microseconds included. */
const seconds = (iso: string) => {
  const micros = /\.(\d{6})/.exec(iso)?.[1] ?? '000000';
  return Math.floor(Date.parse(iso.replace(/\.\d+/, '')) / 1000) + Number(micros) / 1e6;
};

describe('subscribe_entities', () => {
  it('starts with a compressed snapshot: lc always, lu only when different, c as a bare id', async () => {
    sim.setState('sensor.a', '1', { unit_of_measurement: 'W' });
    sim.setState('sensor.b', '2', { x: 1 });
    sim.setState('sensor.b', '2', { x: 2 });
    const id = await client.subscribe({ type: 'subscribe_entities' });
    const initial = await client.event(id);
    const a = initial['a'] as Record<string, Msg>;
    expect(Object.keys(initial)).toEqual(['a']);
    const [stateA, stateB] = sim.states();
    expect(a['sensor.a']).toEqual({
      s: '1',
      a: { unit_of_measurement: 'W' },
      c: stateA?.context.id,
      lc: expect.any(Number),
    });
    expect(a['sensor.a']?.['lc']).toBeCloseTo(seconds(stateA?.last_changed ?? ''), 5);
    expect(Object.keys(a['sensor.b'] ?? {})).toEqual(['s', 'a', 'c', 'lc', 'lu']);
    expect(a['sensor.b']?.['lu']).toBeGreaterThan(a['sensor.b']?.['lc'] as number);
    expect(stateB?.state).toBe('2');
  });

  it('sends diffs: s and lc on a state change, lu and only changed attributes otherwise', async () => {
    sim.setState('light.l', 'off', { brightness: null, keep: 'same', drop: 1 });
    const id = await client.subscribe({ type: 'subscribe_entities' });
    await client.event(id);

    sim.setState('light.l', 'on', { brightness: 200, keep: 'same', drop: 1 });
    const change = (await client.event(id))['c'] as Record<string, Msg>;
    const now = sim.states()[0];
    expect(change).toEqual({
      'light.l': {
        '+': {
          s: 'on',
          lc: expect.closeTo(seconds(now?.last_changed ?? ''), 5),
          c: now?.context.id,
          a: { brightness: 200 },
        },
      },
    });

    sim.setState('light.l', 'on', { brightness: 100, keep: 'same' });
    const attrOnly = ((await client.event(id))['c'] as Record<string, { '+': Msg; '-'?: Msg }>)['light.l'];
    expect(Object.keys(attrOnly?.['+'] ?? {}).sort()).toEqual(['a', 'c', 'lu']);
    expect(attrOnly?.['+']['a']).toEqual({ brightness: 100 });
    expect(attrOnly?.['-']).toEqual({ a: ['drop'] });
  });

  it('reports additions and removals', async () => {
    const id = await client.subscribe({ type: 'subscribe_entities' });
    expect(await client.event(id)).toEqual({ a: {} });
    sim.setState('switch.s', 'on');
    expect(Object.keys(((await client.event(id))['a'] as Msg) ?? {})).toEqual(['switch.s']);
    sim.removeState('switch.s');
    expect(await client.event(id)).toEqual({ r: ['switch.s'] });
  });

  it('sends the context as a dict when it carries a user, and only changed parts after', async () => {
    sim.setState('input_boolean.x', 'off');
    const id = await client.subscribe({ type: 'subscribe_entities', entity_ids: ['input_boolean.x'] });
    await client.event(id);
    const call = () =>
      client.command({
        type: 'call_service',
        domain: 'input_boolean',
        service: 'toggle',
        target: { entity_id: 'input_boolean.x' },
      });
    const first = (await call())['result'] as { context: { id: string; user_id: string } };
    const diff1 = ((await client.event(id))['c'] as Record<string, { '+': Msg }>)['input_boolean.x'];
    expect(diff1?.['+']['c']).toEqual({ user_id: first.context.user_id, id: first.context.id });
    const second = (await call())['result'] as { context: { id: string } };
    const diff2 = ((await client.event(id))['c'] as Record<string, { '+': Msg }>)['input_boolean.x'];
    expect(diff2?.['+']['c']).toBe(second.context.id);
  });

  it('filters by entity_ids and include/exclude', async () => {
    sim.setState('sensor.keep', '1');
    sim.setState('sensor.skip', '1');
    sim.setState('light.x', 'on');
    const byId = await client.subscribe({ type: 'subscribe_entities', entity_ids: ['sensor.keep'] });
    expect(Object.keys((await client.event(byId))['a'] as Msg)).toEqual(['sensor.keep']);
    const byFilter = await client.subscribe({
      type: 'subscribe_entities',
      include: { domains: ['sensor'] },
      exclude: { entities: ['sensor.skip'] },
    });
    expect(Object.keys((await client.event(byFilter))['a'] as Msg)).toEqual(['sensor.keep']);
    sim.setState('sensor.skip', '2');
    sim.setState('sensor.keep', '2');
    const nextForId = await client.event(byId);
    expect(Object.keys(nextForId['c'] as Msg)).toEqual(['sensor.keep']);
  });
});
