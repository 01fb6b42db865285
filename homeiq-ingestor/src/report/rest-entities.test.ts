import { createLogger, LogSecrets, SupervisorClient } from '@homeiq/shared';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startHaSimulator } from '../../../dev/ha-sim/index.js';
import { startSupervisorEmulator } from '../../../dev/supervisor/index.js';
import { until } from '../../../dev/until.js';
import { ENTITIES, type EntityState } from './entities.js';
import { RestEntities, restEntityId } from './rest-entities.js';

// RestEntities through the Supervisor emulator's Core proxy into the HA simulator's REST API, as the ingestor runs
// it without a broker. The whole, against real HA: tests/e2e/ha-reporting-rest.test.ts.
const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const STATE: EntityState = {
  values: Object.fromEntries(ENTITIES.map((e) => [e.key, e.component === 'binary_sensor' ? 'OFF' : 7])),
  attributes: {},
};

it('after stop() began, neither an update nor an HA reconnection sets the entities again: they stay unavailable', async () => {
  const sim = await startHaSimulator({ token: 't' });
  cleanups.push(() => sim.stop());
  const emu = await startSupervisorEmulator({ core: { url: sim.url, token: 't' } });
  cleanups.push(() => emu.stop());
  const ip = '127.0.62.1';
  const addon = emu.registerAddon({ configPath: join(import.meta.dirname, '../../config.yaml'), ip });
  const client = new SupervisorClient({ baseUrl: emu.url, token: addon.token, localAddress: ip });
  // Counts the requests as they start (synchronously, in the call that sends them) and as they end.
  let sent = 0;
  let answered = 0;
  const supervisor = {
    coreRequest: (...args: Parameters<SupervisorClient['coreRequest']>) => {
      sent += 1;
      return client.coreRequest(...args).finally(() => {
        answered += 1;
      });
    },
  };
  const entities = new RestEntities({ supervisor, log, siblingFigures: false });
  const ids = ENTITIES.filter((e) => !e.sibling).map(restEntityId);
  const shown = (): string[] => ids.map((id) => sim.states().find((s) => s.entity_id === id)?.state ?? 'absent');

  entities.publish(STATE);
  await until('the first update answered', () => answered === ids.length, 5000);
  expect(shown()).toEqual(ids.map((id) => (id.startsWith('binary_sensor.') ? 'off' : '7')));
  const stopping = entities.stop();
  entities.republish(); // HA connected again while stop() sends
  entities.publish(STATE); // an update due meanwhile
  expect(sent, 'nothing new sent once stop() began').toBe(ids.length);
  await stopping;
  expect(shown()).toEqual(ids.map(() => 'unavailable'));
  expect(sent).toBe(ids.length * 2);
  entities.republish();
  expect(sent).toBe(ids.length * 2);
});
