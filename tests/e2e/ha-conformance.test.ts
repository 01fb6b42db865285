// The same conformance script against the two real Home Assistant Cores the e2e project provides and against the
// simulator. The simulator models the current one (main): no difference is tolerated there. The oldest supported
// one (floor) lacks fields newer versions added: those, and only those, are on the allow-list.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { compareShapes, runConformanceScript, type ShapeLog } from '../ha-sim/conformance.js';
import { startHaSimulator } from '../ha-sim/index.js';

const main = inject('homeAssistant');
const floor = inject('homeAssistantFloor');

describe('conformance against real Home Assistant', () => {
  let sim: ShapeLog;
  let realMain: ShapeLog;
  let realFloor: ShapeLog;

  beforeAll(async () => {
    const s = await startHaSimulator();
    try {
      sim = await runConformanceScript(s.wsUrl, s.token, { settleMs: 0 });
    } finally {
      await s.stop();
    }
    realMain = await runConformanceScript(main.wsUrl, main.token, { timeoutMs: 10_000 });
    realFloor = await runConformanceScript(floor.wsUrl, floor.token, { timeoutMs: 10_000 });
  });

  it('both answer every step', () => {
    expect(realMain.haVersion).toBe(main.version);
    expect(realFloor.haVersion).toBe(floor.version);
    expect(realMain.steps.filter((s) => s.shape === null).map((s) => s.step)).toEqual([]);
    expect(realFloor.steps.filter((s) => s.shape === null).map((s) => s.step)).toEqual([]);
  });

  it(`the current one (${main.version}) matches the simulator exactly`, () => {
    expect(compareShapes(realMain, sim, [])).toEqual({ differences: [], tolerated: [] });
  });

  it(`the floor (${floor.version}) matches it up to the allow-list of newer fields`, () => {
    const result = compareShapes(realFloor, sim);
    expect(result.differences).toEqual([]);
    expect(result.tolerated.some((d) => d.path.endsWith('last_reported'))).toBe(true);
  });
});
