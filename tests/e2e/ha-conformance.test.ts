// The same conformance script against the real Home Assistant Core the e2e project provides and against the
// simulator: reply shapes must match up to the commented allow-list of fields newer HA versions added.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { compareShapes, runConformanceScript, type ShapeLog } from '../ha-sim/conformance.js';
import { startHaSimulator } from '../ha-sim/index.js';

const ha = inject('homeAssistant');

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
