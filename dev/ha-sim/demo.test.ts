import { afterEach, describe, expect, it } from 'vitest';
import {
  CONFORMANCE_LEVEL,
  CONFORMANCE_SWITCH,
  createDemoHome,
  startDemoDriver,
  startHaSimulator,
  type DemoDriver,
  type HaSimulator,
} from './index';
import { RawClient, sleep } from './test-client';

let sim: HaSimulator;
let driver: DemoDriver | undefined;
afterEach(async () => {
  driver?.stop();
  driver = undefined;
  await sim?.stop();
});

describe('demo home', () => {
  it('has floors, areas, labels, devices and a spread of entities', () => {
    const home = createDemoHome();
    expect(home.floors.length).toBeGreaterThanOrEqual(2);
    expect(home.areas.length).toBeGreaterThanOrEqual(3);
    expect(home.labels.length).toBeGreaterThanOrEqual(2);
    expect(home.devices.length).toBeGreaterThanOrEqual(3);
    expect(home.entities.length).toBeGreaterThanOrEqual(20);
    const ids = home.entities.map((e) => e.entity_id);
    expect(ids).toEqual(
      expect.arrayContaining([
        CONFORMANCE_SWITCH,
        CONFORMANCE_LEVEL,
        'sun.sun',
        'person.alice',
        'weather.home',
        'climate.living_room',
      ]),
    );
    const classes = home.entities.map((e) => e.attributes?.['device_class']);
    expect(classes).toEqual(expect.arrayContaining(['temperature', 'humidity', 'power', 'energy', 'door', 'motion']));
    expect(home.entities.find((e) => e.entity_id === CONFORMANCE_LEVEL)?.attributes).toMatchObject({
      min: 0,
      max: 100,
    });
    // Built fresh each time, so one test's edits cannot leak into another.
    home.entities.length = 0;
    expect(createDemoHome().entities.length).toBeGreaterThanOrEqual(20);
  });
});

describe('demo driver', () => {
  it('changes states at about the requested rate and stops when told', async () => {
    sim = await startHaSimulator();
    const client = await RawClient.connect(sim.wsUrl, sim.token);
    const sub = await client.subscribe({ type: 'subscribe_events', event_type: 'state_changed' });
    const energyBefore = Number(sim.states().find((s) => s.entity_id === 'sensor.house_energy')?.state);
    driver = startDemoDriver(sim, { ratePerSecond: 200, seed: 7 });
    await sleep(500);
    driver.stop();
    const writes = driver.changes;
    expect(writes).toBeGreaterThan(50);
    expect(writes).toBeLessThan(200);
    await sleep(100);
    expect(driver.changes).toBe(writes);
    const events = client.drain().filter((m) => m['id'] === sub);
    // Re-reports of an unchanged value produce no state_changed, so events <= writes.
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThanOrEqual(writes);
    const energyAfter = Number(sim.states().find((s) => s.entity_id === 'sensor.house_energy')?.state);
    expect(energyAfter).toBeGreaterThanOrEqual(energyBefore);
    client.close();
  });

  it('is reproducible for a seed', async () => {
    const run = async () => {
      sim = await startHaSimulator();
      const writes: string[] = [];
      const client = await RawClient.connect(sim.wsUrl, sim.token);
      // The writes that changed something (unchanged ones fire state_reported, which no client can subscribe to).
      const subs = [await client.subscribe({ type: 'subscribe_events', event_type: 'state_changed' })];
      const d = startDemoDriver(sim, { ratePerSecond: 100, seed: 42, tickMs: 10 });
      await sleep(200);
      d.stop();
      await sleep(20);
      for (const m of client.drain()) {
        if (!subs.includes(m['id'] as number)) continue;
        const data = (m['event'] as { data: { entity_id: string; new_state: { state: string } } }).data;
        writes.push(`${data.entity_id}=${data.new_state.state}`);
      }
      client.close();
      await sim.stop();
      return writes.slice(0, 10);
    };
    const first = await run();
    expect(first.length).toBe(10);
    expect(await run()).toEqual(first);
  });
});
