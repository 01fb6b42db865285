import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaSimulator, type HaSimulator } from './index';
import { RawClient, type Msg } from './test-client';

// What the real 2025.4.4 and 2024.3.3 answered to the same calls (the shapes are also in the conformance script).
let sim: HaSimulator;
beforeAll(async () => {
  sim = await startHaSimulator({ token: 'pn-token' });
});
afterAll(async () => sim.stop());

const call = (c: RawClient, service: string, data?: Msg): Promise<Msg> =>
  c.command({
    type: 'call_service',
    domain: 'persistent_notification',
    service,
    ...(data ? { service_data: data } : {}),
  });

describe('persistent notifications', () => {
  it('create, replace by id, get, dismiss (an unknown id too), dismiss_all; subscribers see each change', async () => {
    const c = await RawClient.connect(sim.wsUrl, 'pn-token');
    const sub = await c.subscribe({ type: 'persistent_notification/subscribe' });
    expect(await c.event(sub)).toEqual({ type: 'current', notifications: {} });

    expect(await call(c, 'create', { notification_id: 'a', title: 'T', message: 'M1' })).toMatchObject({
      success: true,
      result: { context: { user_id: expect.any(String) } },
    });
    const added = await c.event(sub);
    expect(added).toEqual({
      type: 'added',
      notifications: { a: { message: 'M1', notification_id: 'a', title: 'T', created_at: expect.any(String) } },
    });
    expect(((added['notifications'] as Msg)['a'] as Msg)['created_at']).toMatch(/^\d{4}-\d\d-\d\dT.*\+00:00$/);
    // The same id again replaces it (no title now: null) and is `added` again; numbers are taken as text.
    await call(c, 'create', { notification_id: 'a', message: 'M2' });
    expect((await c.event(sub))['type']).toBe('added');
    await call(c, 'create', { notification_id: 7, message: 42 });
    await c.event(sub);
    const list = (await c.command({ type: 'persistent_notification/get' }))['result'] as Msg[];
    expect(list.map((n) => [n['notification_id'], n['title'], n['message']])).toEqual([
      ['a', null, 'M2'],
      ['7', null, '42'],
    ]);

    expect((await call(c, 'dismiss', { notification_id: 'nope' }))['success']).toBe(true);
    await call(c, 'dismiss', { notification_id: 'a' });
    expect(await c.event(sub)).toMatchObject({ type: 'removed', notifications: { a: { message: 'M2' } } });
    await call(c, 'dismiss_all');
    expect(await c.event(sub)).toMatchObject({ type: 'removed', notifications: { 7: { message: '42' } } });
    expect((await c.command({ type: 'persistent_notification/get' }))['result']).toEqual([]);
    c.close();
  });

  it("refuses what the services' schemas refuse, with HA's words, before anything happens", async () => {
    const c = await RawClient.connect(sim.wsUrl, 'pn-token');
    const error = async (service: string, data: Msg) => (await call(c, service, data))['error'];
    expect(await error('create', { title: 'no message' })).toEqual({
      code: 'invalid_format',
      message: "required key not provided @ data['message']",
    });
    expect(await error('create', { message: ['a'] })).toEqual({
      code: 'invalid_format',
      message: "value should be a string for dictionary value @ data['message']",
    });
    expect(await error('create', { message: 'x', extra: 1 })).toEqual({
      code: 'invalid_format',
      message: "extra keys not allowed @ data['extra']",
    });
    expect(await error('dismiss', {})).toEqual({
      code: 'invalid_format',
      message: "required key not provided @ data['notification_id']",
    });
    expect((await c.command({ type: 'persistent_notification/get' }))['result']).toEqual([]);
    c.close();
  });

  it('REST service calls too; a restart forgets them all', async () => {
    const post = (body: unknown) =>
      fetch(`${sim.url}/api/services/persistent_notification/create`, {
        method: 'POST',
        headers: { Authorization: 'Bearer pn-token', 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await post({ message: 'rest', notification_id: 'r1' });
    expect([ok.status, await ok.json()]).toEqual([200, []]);
    const bad = await post({ title: 'no message' });
    expect([bad.status, await bad.text()]).toEqual([400, '400: Bad Request']);
    let c = await RawClient.connect(sim.wsUrl, 'pn-token');
    expect(((await c.command({ type: 'persistent_notification/get' }))['result'] as Msg[]).length).toBe(1);
    c.close();
    await sim.restart();
    c = await RawClient.connect(sim.wsUrl, 'pn-token');
    expect((await c.command({ type: 'persistent_notification/get' }))['result']).toEqual([]);
    c.close();
  });
});
