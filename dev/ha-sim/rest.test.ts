import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaSimulator, type HaSimulator, type State } from './index';

let sim: HaSimulator;
beforeAll(async () => {
  sim = await startHaSimulator({ token: 'rest-token' });
});
afterAll(async () => sim.stop());

const api = (path: string, init: RequestInit = {}, token = 'rest-token') =>
  fetch(`${sim.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers },
  });
const post = (path: string, body: unknown) => api(path, { method: 'POST', body: JSON.stringify(body) });
const stateOf = async (id: string) => (await (await api(`/api/states/${id}`)).json()) as State;

describe('REST API', () => {
  it('needs the bearer token', async () => {
    const res = await api('/api/', {}, 'wrong');
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('401: Unauthorized');
    expect((await fetch(`${sim.url}/api/states`)).status).toBe(401);
  });

  it('GET /api/, /api/config, /api/states, /api/states/<id>', async () => {
    expect(await (await api('/api/')).json()).toEqual({ message: 'API running.' });
    expect(await (await api('/api/config')).json()).toMatchObject({ version: sim.version, location_name: 'Demo Home' });
    const states = (await (await api('/api/states')).json()) as State[];
    expect(states.length).toBe(sim.states().length);
    expect(await stateOf('sun.sun')).toMatchObject({ entity_id: 'sun.sun', state: 'above_horizon' });
    const missing = await api('/api/states/sensor.missing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Entity not found.' });
  });

  it('POST /api/services/<domain>/<service> changes helpers and returns the changed states', async () => {
    const changed = (await (
      await post('/api/services/input_boolean/turn_on', { entity_id: 'input_boolean.guest_mode' })
    ).json()) as State[];
    expect(changed.map((s) => [s.entity_id, s.state])).toEqual([['input_boolean.guest_mode', 'on']]);
    await post('/api/services/input_boolean/toggle', { entity_id: 'input_boolean.guest_mode' });
    expect((await stateOf('input_boolean.guest_mode')).state).toBe('off');
    await post('/api/services/input_number/set_value', { entity_id: 'input_number.conformance_level', value: 42 });
    expect((await stateOf('input_number.conformance_level')).state).toBe('42.0');
    await post('/api/services/input_select/select_option', { entity_id: 'input_select.house_mode', option: 'night' });
    expect((await stateOf('input_select.house_mode')).state).toBe('night');
    await post('/api/services/input_select/select_next', { entity_id: 'input_select.house_mode' });
    expect((await stateOf('input_select.house_mode')).state).toBe('vacation');
    await post('/api/services/input_select/select_next', { entity_id: 'input_select.house_mode' });
    expect((await stateOf('input_select.house_mode')).state).toBe('home');
    await post('/api/services/input_text/set_value', { entity_id: 'input_text.note', value: 'hi there' });
    expect((await stateOf('input_text.note')).state).toBe('hi there');
    await post('/api/services/counter/increment', { entity_id: 'counter.doorbell_presses' });
    await post('/api/services/counter/increment', { entity_id: 'counter.doorbell_presses' });
    expect((await stateOf('counter.doorbell_presses')).state).toBe('2');
    const user = (await stateOf('counter.doorbell_presses')).context.user_id;
    expect(user).toMatch(/^[0-9a-f]{32}$/);
  });

  it('rejects unknown services and bad values with 400', async () => {
    expect((await post('/api/services/nope/nothing', {})).status).toBe(400);
    expect(
      (await post('/api/services/input_number/set_value', { entity_id: 'input_number.conformance_level', value: 1000 }))
        .status,
    ).toBe(400);
    expect(
      (await post('/api/services/input_select/select_option', { entity_id: 'input_select.house_mode', option: 'mars' }))
        .status,
    ).toBe(400);
  });

  it('POST /api/states/<id> sets a state (201 when new)', async () => {
    const created = await post('/api/states/sensor.rest_made', {
      state: '7',
      attributes: { unit_of_measurement: 'W' },
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as State).state).toBe('7');
    expect((await post('/api/states/sensor.rest_made', { state: '8' })).status).toBe(200);
    expect((await stateOf('sensor.rest_made')).attributes).toEqual({});
  });
});

describe('GET /api/core/state', () => {
  it("says RUNNING once started, as the Supervisor's Core probe expects", async () => {
    expect(await (await api('/api/core/state')).json()).toEqual({ state: 'RUNNING' });
  });
});
