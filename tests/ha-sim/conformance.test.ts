// Runs the fixed conformance script against the simulator (modern and
// legacy) and, when a real Home Assistant is at hand, against it too.
//
// Real HA: the e2e project provides one (`inject('homeAssistant')`); in the
// unit project set HOMEIQ_CONFORMANCE_REAL_HA=1 to start one here through
// tests/peers/homeassistant.ts. Without either, only the simulator runs.

import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { compareShapes, LEGACY_DIFFERENCES, runConformanceScript, TOLERATED_DIFFERENCES, type ShapeLog } from './conformance';
import { CONFORMANCE_LEVEL, CONFORMANCE_SWITCH, startHaSimulator, type HaSimulator } from './index';
import type { Shape } from './shapes';

interface Endpoint {
  wsUrl: string;
  token: string;
  version: string;
}

let modern: ShapeLog;
let legacy: ShapeLog;
const sims: HaSimulator[] = [];

beforeAll(async () => {
  for (const legacyMode of [false, true]) {
    const sim = await startHaSimulator({ legacy: legacyMode });
    sims.push(sim);
    const log = await runConformanceScript(sim.wsUrl, sim.token, { settleMs: 0 });
    if (legacyMode) legacy = log;
    else modern = log;
  }
});
afterAll(async () => {
  for (const sim of sims) await sim.stop();
});

describe('conformance script against the simulator', () => {
  it('gets a reply for every step', () => {
    expect(modern.haVersion).toBe('2026.11.2');
    expect(modern.steps.filter((s) => s.shape === null).map((s) => s.step)).toEqual([]);
    expect(modern.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['auth_required', 'state_changed.toggle', 'history.full', 'subscribe_entities.diff', 'id_reuse', 'invalid_format']));
    expect(legacy.steps.filter((s) => s.shape === null).map((s) => s.step)).toEqual([]);
  });

  it('is stable: two simulators produce identical shapes', async () => {
    const again = await runConformanceScript(sims[0]?.wsUrl ?? '', sims[0]?.token ?? '', { settleMs: 0 });
    expect(compareShapes(modern, again, [])).toEqual({ differences: [], tolerated: [] });
  });

  it('legacy mode differs from today\'s HA only by the listed, older-HA gaps', () => {
    const strict = compareShapes(legacy, modern, TOLERATED_DIFFERENCES);
    expect(new Set(strict.differences.map((d) => d.step))).toEqual(
      new Set(['config/entity_registry/list', 'config/entity_registry/list_for_display', 'config/area_registry/list', 'config/floor_registry/list', 'config/label_registry/list']),
    );
    expect(compareShapes(legacy, modern, [...TOLERATED_DIFFERENCES, ...LEGACY_DIFFERENCES]).differences).toEqual([]);
  });

  it('reports a missing key, an extra key and a changed type', () => {
    const mutate = (log: ShapeLog, step: string, edit: (s: Shape) => void): ShapeLog => {
      const copy = structuredClone(log);
      const target = copy.steps.find((s) => s.step === step)?.shape;
      if (target) edit(target);
      return copy;
    };
    const context = (s: Shape) => s.fields?.['result']?.fields?.['context'] as Shape;
    const withoutUser = mutate(modern, 'call_service', (s) => delete context(s).fields?.['user_id']);
    const numericId = mutate(modern, 'call_service', (s) => ((context(s).fields as Record<string, Shape>)['id'] = { types: ['number'] }));
    expect(compareShapes(modern, withoutUser).differences).toEqual([
      { step: 'call_service', path: 'result.context.user_id', kind: 'missing-in-sim', real: 'string', sim: 'absent' },
    ]);
    expect(compareShapes(withoutUser, modern).differences.map((d) => d.kind)).toEqual(['missing-in-real']);
    expect(compareShapes(modern, numericId).differences).toEqual([
      { step: 'call_service', path: 'result.context.id', kind: 'type-mismatch', real: 'string', sim: 'number' },
    ]);
    const noReply = { ...modern, steps: modern.steps.filter((s) => s.step !== 'ping') };
    expect(compareShapes(modern, noReply).differences).toEqual([{ step: 'ping', path: '', kind: 'reply-missing', real: 'object', sim: 'absent' }]);
  });

  it('gives every tolerated difference a reason', () => {
    for (const t of [...TOLERATED_DIFFERENCES, ...LEGACY_DIFFERENCES]) expect(t.why.length).toBeGreaterThan(10);
  });
});

// ---- real Home Assistant --------------------------------------------------

const provided = (inject as (key: string) => unknown)('homeAssistant') as Endpoint | undefined;
const wantReal = provided !== undefined || process.env['HOMEIQ_CONFORMANCE_REAL_HA'] === '1';

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

describe.runIf(wantReal)('conformance against a real Home Assistant', () => {
  let real: ShapeLog;
  let stopOwn: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    let ha = provided;
    if (!ha) {
      const { startHomeAssistant } = await import('../peers/homeassistant');
      const own = await startHomeAssistant();
      stopOwn = () => own.stop();
      ha = own;
    }
    await ensureConformanceHelpers(ha);
    real = await runConformanceScript(ha.wsUrl, ha.token, { timeoutMs: 10_000 });
  });
  afterAll(async () => stopOwn?.());

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
