// The same conformance script against the two real Home Assistant Cores the e2e project provides and against the
// simulator, which speaks each: 2025.4.4 by default, 2024.3.3 in legacy mode. Each real version must match its
// simulated one exactly; the two real versions must differ by exactly VERSION_DIFFERENCES, every entry needed.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { compareShapes, runConformanceScript, unusedTolerances, type ShapeLog } from '../../dev/ha-sim/conformance.js';
import { VERSION_DIFFERENCES } from '../../dev/ha-sim/version-differences.js';
import { DEFAULT_HA_VERSION, LEGACY_HA_VERSION, startHaSimulator } from '../../dev/ha-sim/index.js';
import { wsCommand } from '../../dev/peers/homeassistant.js';

const main = inject('homeAssistant');
const floor = inject('homeAssistantFloor');

async function simulated(legacy: boolean): Promise<ShapeLog> {
  const s = await startHaSimulator({ legacy });
  try {
    return await runConformanceScript(s.wsUrl, s.token, { settleMs: 0 });
  } finally {
    await s.stop();
  }
}

/** The peers start without floors and labels (the simulator's demo home has some): one of each, so they are compared. */
async function addFloorAndLabel(ha: { wsUrl: string; token: string }): Promise<void> {
  const floors = (await wsCommand(ha.wsUrl, ha.token, { type: 'config/floor_registry/list' })) as unknown[];
  if (floors.length === 0)
    await wsCommand(ha.wsUrl, ha.token, { type: 'config/floor_registry/create', name: 'Conformance floor', level: 0 });
  const labels = (await wsCommand(ha.wsUrl, ha.token, { type: 'config/label_registry/list' })) as unknown[];
  if (labels.length === 0)
    await wsCommand(ha.wsUrl, ha.token, { type: 'config/label_registry/create', name: 'Conformance label' });
}

describe('conformance against real Home Assistant', () => {
  let sim: ShapeLog;
  let simLegacy: ShapeLog;
  let realMain: ShapeLog;
  let realFloor: ShapeLog;

  beforeAll(async () => {
    sim = await simulated(false);
    simLegacy = await simulated(true);
    await addFloorAndLabel(main);
    await addFloorAndLabel(floor);
    realMain = await runConformanceScript(main.wsUrl, main.token, { timeoutMs: 10_000 });
    realFloor = await runConformanceScript(floor.wsUrl, floor.token, { timeoutMs: 10_000 });
  });

  it('both answer every step, and the simulator announces their versions', () => {
    expect(realMain.haVersion).toBe(main.version);
    expect(realFloor.haVersion).toBe(floor.version);
    expect(DEFAULT_HA_VERSION).toBe(main.version);
    expect(LEGACY_HA_VERSION).toBe(floor.version);
    expect(realMain.steps.filter((s) => s.shape === null).map((s) => s.step)).toEqual([]);
    expect(realFloor.steps.filter((s) => s.shape === null).map((s) => s.step)).toEqual([]);
  });

  it(`the current one (${main.version}) matches the simulator exactly`, () => {
    expect(compareShapes(realMain, sim)).toEqual({ differences: [], tolerated: [] });
  });

  it(`the floor (${floor.version}) matches the simulator's legacy mode exactly`, () => {
    expect(compareShapes(realFloor, simLegacy)).toEqual({ differences: [], tolerated: [] });
  });

  it('the two real versions differ by exactly the listed version differences, each of them needed', () => {
    const result = compareShapes(realFloor, realMain, VERSION_DIFFERENCES);
    expect(result.differences).toEqual([]);
    expect(unusedTolerances(result, VERSION_DIFFERENCES).map((t) => `${t.step} ${t.path}`)).toEqual([]);
  });
});
