import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmptyHome, startHaSimulator, type HaSimulator } from './index';
import { RawClient, type Msg } from './test-client';

let sim: HaSimulator;
let client: RawClient;
// Whole seconds, an hour ago, so expected float timestamps are exact.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const at = (s: number) => new Date(T0 + s * 1000);
const sec = (s: number) => (T0 + s * 1000) / 1000;
const iso = (s: number) => at(s).toISOString();

beforeEach(async () => {
  sim = await startHaSimulator({ home: createEmptyHome() });
  sim.setState('sensor.h', '1', { u: 'W' }, { lastChanged: at(0) });
  sim.setState('sensor.h', '1', { u: 'W', x: 1 }, { lastChanged: at(10) });
  sim.setState('sensor.h', '2', { u: 'W', x: 1 }, { lastChanged: at(20) });
  sim.setState('sensor.h', '3', { u: 'W', x: 1 }, { lastChanged: at(30) });
  sim.setState('climate.c', 'heat', { current_temperature: 20 }, { lastChanged: at(0) });
  sim.setState('climate.c', 'heat', { current_temperature: 21 }, { lastChanged: at(15) });
  client = await RawClient.connect(sim.wsUrl, sim.token);
});
afterEach(async () => {
  client.close();
  await sim.stop();
});

const history = async (params: Msg) => {
  const reply = await client.command({ type: 'history/history_during_period', ...params });
  if (reply['success'] !== true) return reply;
  return reply['result'] as Record<string, Msg[]>;
};

describe('history/history_during_period', () => {
  it('answers in history compressed format with the start state and significant changes', async () => {
    expect(await history({ start_time: iso(5), entity_ids: ['sensor.h'] })).toEqual({
      'sensor.h': [
        { s: '1', a: { u: 'W' }, lu: sec(5) },
        { s: '2', a: { u: 'W', x: 1 }, lu: sec(20) },
        { s: '3', a: { u: 'W', x: 1 }, lu: sec(30) },
      ],
    });
  });

  it('includes attribute-only rows, with lc, when significant_changes_only is false', async () => {
    const result = await history({ start_time: iso(5), entity_ids: ['sensor.h'], significant_changes_only: false });
    expect(result).toEqual({
      'sensor.h': [
        { s: '1', a: { u: 'W' }, lu: sec(5) },
        { s: '1', a: { u: 'W', x: 1 }, lu: sec(10), lc: sec(0) },
        { s: '2', a: { u: 'W', x: 1 }, lu: sec(20) },
        { s: '3', a: { u: 'W', x: 1 }, lu: sec(30) },
      ],
    });
  });

  it('keeps attribute-only rows of significant domains', async () => {
    const result = (await history({ start_time: iso(-1), entity_ids: ['climate.c'] })) as Record<string, Msg[]>;
    expect(result['climate.c']?.map((r) => (r['a'] as Msg)['current_temperature'])).toEqual([20, 21]);
  });

  it('minimal_response keeps the first state whole and only state/lu after', async () => {
    expect(await history({ start_time: iso(5), entity_ids: ['sensor.h'], minimal_response: true })).toEqual({
      'sensor.h': [
        { s: '1', a: { u: 'W' }, lu: sec(5) },
        { s: '2', lu: sec(20) },
        { s: '3', lu: sec(30) },
      ],
    });
    expect(
      await history({ start_time: iso(5), entity_ids: ['sensor.h'], minimal_response: true, no_attributes: true }),
    ).toEqual({
      'sensor.h': [
        { s: '1', lu: sec(5) },
        { s: '2', lu: sec(20) },
        { s: '3', lu: sec(30) },
      ],
    });
  });

  it('no_attributes without minimal_response leaves empty attribute dicts', async () => {
    const result = (await history({ start_time: iso(5), entity_ids: ['sensor.h'], no_attributes: true })) as Record<
      string,
      Msg[]
    >;
    expect(result['sensor.h']?.map((r) => r['a'])).toEqual([{}, {}, {}]);
  });

  it('honours include_start_time_state and end_time', async () => {
    expect(
      await history({
        start_time: iso(5),
        end_time: iso(25),
        entity_ids: ['sensor.h'],
        include_start_time_state: false,
      }),
    ).toEqual({
      'sensor.h': [{ s: '2', a: { u: 'W', x: 1 }, lu: sec(20) }],
    });
  });

  it('leaves out unknown entities and answers {} for a future start', async () => {
    expect(Object.keys(await history({ start_time: iso(5), entity_ids: ['sensor.h', 'sensor.unknown'] }))).toEqual([
      'sensor.h',
    ]);
    expect(
      await history({ start_time: new Date(Date.now() + 60_000).toISOString(), entity_ids: ['sensor.h'] }),
    ).toEqual({});
  });

  it("rejects bad input with HA's error codes", async () => {
    expect(await history({ start_time: 'yesterday', entity_ids: ['sensor.h'] })).toMatchObject({
      error: { code: 'invalid_start_time', message: 'Invalid start_time' },
    });
    expect(await history({ start_time: iso(0), end_time: 'x', entity_ids: ['sensor.h'] })).toMatchObject({
      error: { code: 'invalid_end_time' },
    });
    expect(await history({ start_time: iso(0), entity_ids: ['Not An Id'] })).toMatchObject({
      error: { code: 'invalid_entity_ids', message: 'Invalid entity_ids' },
    });
  });

  it('records live changes too', async () => {
    sim.setState('sensor.h', '4', { u: 'W', x: 1 });
    const result = (await history({
      start_time: iso(25),
      entity_ids: ['sensor.h'],
      include_start_time_state: false,
    })) as Record<string, Msg[]>;
    expect(result['sensor.h']?.map((r) => r['s'])).toEqual(['3', '4']);
  });
});

describe('history/stream', () => {
  it('sends result then one event for a past window', async () => {
    const id = await client.subscribe({
      type: 'history/stream',
      start_time: iso(5),
      end_time: iso(25),
      entity_ids: ['sensor.h'],
    });
    const event = await client.event(id);
    expect(event).toEqual({
      states: {
        'sensor.h': [
          { s: '1', a: { u: 'W' }, lu: sec(5) },
          { s: '2', a: { u: 'W', x: 1 }, lu: sec(20) },
        ],
      },
      start_time: sec(5),
      end_time: sec(20),
    });
  });

  it('streams live changes after the historical part', async () => {
    const id = await client.subscribe({
      type: 'history/stream',
      start_time: iso(25),
      entity_ids: ['sensor.h'],
      include_start_time_state: false,
    });
    expect(((await client.event(id))['states'] as Record<string, Msg[]>)['sensor.h']?.map((r) => r['s'])).toEqual([
      '3',
    ]);
    sim.setState('sensor.h', '9', { u: 'W', x: 1 });
    const live = await client.event(id, (e) => !('start_time' in e));
    expect((live['states'] as Record<string, Msg[]>)['sensor.h']?.[0]).toMatchObject({ s: '9', a: { u: 'W', x: 1 } });
  });
});
