// The same conformance script against the real Home Assistant Core the e2e project provides and against the
// simulator: reply shapes must match up to the commented allow-list of fields newer HA versions added.
import WebSocket from 'ws';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { compareShapes, runConformanceScript, type ShapeLog } from '../ha-sim/conformance.js';
import { CONFORMANCE_LEVEL, CONFORMANCE_SWITCH, startHaSimulator } from '../ha-sim/index.js';

interface Endpoint {
  wsUrl: string;
  token: string;
}

const ha = inject('homeAssistant');

/** The peer's configuration should define both helpers; create them (as UI helpers) if it does not yet. */
async function ensureConformanceHelpers(ha: Endpoint): Promise<void> {
  const ws = new WebSocket(ha.wsUrl);
  const replies = new Map<number, Record<string, unknown>>();
  let authed: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (authed = resolve));
  ws.on('message', (data) => {
    for (const m of [JSON.parse(data.toString())].flat() as Array<Record<string, unknown>>) {
      if (m['type'] === 'auth_ok') authed();
      if (typeof m['id'] === 'number') replies.set(m['id'], m);
    }
  });
  ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', access_token: ha.token })));
  const call = async (id: number, msg: Record<string, unknown>) => {
    ws.send(JSON.stringify({ id, ...msg }));
    for (let i = 0; i < 500 && !replies.has(id); i++) await new Promise((r) => setTimeout(r, 10));
    return replies.get(id);
  };
  try {
    await ready;
    const states = ((await call(1, { type: 'get_states' }))?.['result'] as Array<{ entity_id: string }>) ?? [];
    const have = new Set(states.map((s) => s.entity_id));
    if (!have.has(CONFORMANCE_SWITCH)) await call(2, { type: 'input_boolean/create', name: 'conformance_switch' });
    if (!have.has(CONFORMANCE_LEVEL)) await call(3, { type: 'input_number/create', name: 'conformance_level', min: 0, max: 100, step: 1, initial: 50, mode: 'slider' });
  } finally {
    ws.close();
  }
}

describe('conformance against a real Home Assistant', () => {
  let real: ShapeLog;
  let modern: ShapeLog;

  beforeAll(async () => {
    const sim = await startHaSimulator();
    try {
      modern = await runConformanceScript(sim.wsUrl, sim.token, { settleMs: 0 });
    } finally {
      await sim.stop();
    }
    await ensureConformanceHelpers(ha);
    real = await runConformanceScript(ha.wsUrl, ha.token, { timeoutMs: 10_000 });
  });

  it('answers every step', () => {
    expect(real.steps.filter((s) => s.shape === null).map((s) => s.step)).toEqual([]);
  });

  it('matches the simulator up to the allow-list of newer-HA fields', () => {
    const result = compareShapes(real, modern);
    expect(result.differences).toEqual([]);
    // The peer is older than what we model, so some tolerance must have been needed.
    expect(result.tolerated.some((d) => d.path.endsWith('last_reported'))).toBe(true);
  });
});
