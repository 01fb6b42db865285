import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { wsCommand } from '../../dev/peers/homeassistant/onboarding.js';
import { startSupervisorEmulator } from '../../dev/supervisor/index.js';
import type { RegisteredAddon, SupervisorEmulator } from '../../dev/supervisor/types.js';

// The path an add-on takes to Home Assistant in production: the Supervisor's /core/websocket proxy with
// its own handshake, relaying to a real Home Assistant Core: the current one and the oldest supported one (floor).
const PEERS = [
  { role: 'main', ha: inject('homeAssistant'), ip: '127.0.8.11' },
  { role: 'floor', ha: inject('homeAssistantFloor'), ip: '127.0.8.12' },
];

/** Collects every message of a socket; `next(pred)` resolves with the first (past or future) match. */
function messages(ws: WebSocket) {
  const seen: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    pred: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }> = [];
  ws.on('message', (data) => {
    const parsed = JSON.parse(data.toString()) as Record<string, unknown> | Array<Record<string, unknown>>;
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
      seen.push(m);
      for (const w of [...waiters]) {
        if (w.pred(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  return {
    next(pred: (m: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<Record<string, unknown>> {
      const found = seen.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        setTimeout(
          () =>
            reject(new Error(`no matching message within ${timeoutMs} ms; saw ${JSON.stringify(seen).slice(0, 2000)}`)),
          timeoutMs,
        );
      });
    },
  };
}

describe.each(PEERS)('real Home Assistant ($role, $ha.version) through the Supervisor emulator', ({ ha, ip }) => {
  let supervisor: SupervisorEmulator;
  let ingestor: RegisteredAddon;

  beforeAll(async () => {
    supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token, version: ha.version } });
    ingestor = supervisor.registerAddon({ configPath: 'homeiq-ingestor/config.yaml', ip });
  });

  afterAll(async () => {
    await supervisor?.stop();
  });

  it('delivers a helper change made in real HA as state_changed over /core/websocket', async () => {
    const ws = new WebSocket(`${supervisor.url.replace('http', 'ws')}/core/websocket`);
    const inbox = messages(ws);
    expect((await inbox.next((m) => m['type'] === 'auth_required'))['ha_version']).toBe(ha.version);
    ws.send(JSON.stringify({ type: 'auth', access_token: ingestor.token }));
    await inbox.next((m) => m['type'] === 'auth_ok');
    ws.send(JSON.stringify({ id: 1, type: 'subscribe_events', event_type: 'state_changed' }));
    expect(await inbox.next((m) => m['id'] === 1 && m['type'] === 'result')).toMatchObject({ success: true });

    // Through the REST proxy, with the add-on's own token, as an add-on with homeassistant_api would.
    const res = await fetch(`${supervisor.url}/core/api/services/input_boolean/toggle`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ingestor.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ entity_id: 'input_boolean.test_switch' }),
    });
    expect(res.status).toBe(200);

    const event = await inbox.next(
      (m) =>
        m['type'] === 'event' &&
        (m['event'] as { data?: { entity_id?: string } }).data?.entity_id === 'input_boolean.test_switch',
    );
    const data = (
      event['event'] as { data: { old_state: { state: string }; new_state: { state: string; last_updated: string } } }
    ).data;
    expect(['on', 'off']).toContain(data.new_state.state);
    expect(data.new_state.state).not.toBe(data.old_state.state);
    expect(Date.parse(data.new_state.last_updated)).toBeGreaterThan(Date.now() - 60_000);
    ws.close();
  });

  it('started with no configuration error (no "Invalid config" notification)', async () => {
    // HA raises `invalid_config` at start for every integration that failed to set up, even one we do not use
    // (2025.4's analytics did, without a multicast route); the screenshots show HA's notification drawer.
    const notifications = (await wsCommand(ha.wsUrl, ha.token, { type: 'persistent_notification/get' })) as Array<{
      notification_id: string;
      message: string;
    }>;
    expect(notifications.filter((n) => n.notification_id === 'invalid_config')).toEqual([]);
  });

  it('refuses a token the Supervisor does not know', async () => {
    const ws = new WebSocket(`${supervisor.url.replace('http', 'ws')}/core/websocket`);
    const inbox = messages(ws);
    await inbox.next((m) => m['type'] === 'auth_required');
    ws.send(JSON.stringify({ type: 'auth', access_token: 'not-a-supervisor-token' }));
    expect(await inbox.next((m) => m['type'] === 'auth_invalid')).toMatchObject({ message: 'Invalid access' });
    ws.close();
  });
});
