// Runs the fixed conformance script against the simulator (2025.4.4 and, in legacy mode, 2024.3.3). The comparison
// with the real Home Assistants is tests/e2e/ha-conformance.test.ts, in the e2e project that provides them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareShapes, runConformanceScript, unusedTolerances, type ShapeLog } from './conformance';
import { VERSION_DIFFERENCES } from './version-differences';
import { DEFAULT_HA_VERSION, LEGACY_HA_VERSION, startHaSimulator, type HaSimulator } from './index';
import type { Shape } from './shapes';

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
    expect(modern.haVersion).toBe(DEFAULT_HA_VERSION);
    expect(legacy.haVersion).toBe(LEGACY_HA_VERSION);
    expect(modern.steps.filter((s) => s.shape === null).map((s) => s.step)).toEqual([]);
    expect(modern.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining([
        'auth_required',
        'state_changed.toggle',
        'history.full',
        'subscribe_entities.diff',
        'id_reuse',
        'invalid_format',
      ]),
    );
    expect(legacy.steps.filter((s) => s.shape === null).map((s) => s.step)).toEqual([]);
  });

  it('is stable: two simulators produce identical shapes', async () => {
    const again = await runConformanceScript(sims[0]?.wsUrl ?? '', sims[0]?.token ?? '', { settleMs: 0 });
    expect(compareShapes(modern, again, [])).toEqual({ differences: [], tolerated: [] });
  });

  it('legacy mode (2024.3.3) differs from 2025.4.4 by exactly the version differences, each of them needed', () => {
    expect(compareShapes(legacy, modern).differences.length).toBeGreaterThan(0);
    const result = compareShapes(legacy, modern, VERSION_DIFFERENCES);
    expect(result.differences).toEqual([]);
    expect(unusedTolerances(result, VERSION_DIFFERENCES)).toEqual([]);
  });

  it('refuses a state_reported subscription as 2025.4.4 does, accepts it as 2024.3.3 does', () => {
    const step = (log: ShapeLog) => log.steps.find((s) => s.step === 'subscribe_events.state_reported')?.shape;
    expect(Object.keys(step(modern)?.fields ?? {}).sort()).toEqual(['error', 'id', 'success', 'type']);
    expect(Object.keys(step(legacy)?.fields ?? {}).sort()).toEqual(['id', 'result', 'success', 'type']);
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
    const numericId = mutate(
      modern,
      'call_service',
      (s) => ((context(s).fields as Record<string, Shape>)['id'] = { types: ['number'] }),
    );
    expect(compareShapes(modern, withoutUser).differences).toEqual([
      { step: 'call_service', path: 'result.context.user_id', kind: 'missing-in-sim', real: 'string', sim: 'absent' },
    ]);
    expect(compareShapes(withoutUser, modern).differences.map((d) => d.kind)).toEqual(['missing-in-real']);
    expect(compareShapes(modern, numericId).differences).toEqual([
      { step: 'call_service', path: 'result.context.id', kind: 'type-mismatch', real: 'string', sim: 'number' },
    ]);
    const noReply = { ...modern, steps: modern.steps.filter((s) => s.step !== 'ping') };
    expect(compareShapes(modern, noReply).differences).toEqual([
      { step: 'ping', path: '', kind: 'reply-missing', real: 'object', sim: 'absent' },
    ]);
  });

  it('gives every tolerated difference a reason', () => {
    for (const t of VERSION_DIFFERENCES) expect(t.why.length).toBeGreaterThan(10);
  });
});
