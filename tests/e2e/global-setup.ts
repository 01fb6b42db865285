// Vitest global setup for the end-to-end project: provisions the real peers once per run and starts the two real
// Home Assistant Cores the tests share: the current one (`homeAssistant`, every real-HA suite) and the oldest
// supported one (`homeAssistantFloor`, the conformance test and one smoke). If a peer cannot be provisioned or
// started the run fails here, with the reason; no test is skipped for want of a peer.
import type { TestProject } from 'vitest/node';
import { startHomeAssistant, type HaRole, type RealHa } from '../../dev/peers/homeassistant.js';
import { buildInfluxd } from '../../dev/peers/influxd.js';
import { provisionInfluxdb1 } from '../../dev/peers/influxdb1.js';
import { installMosquitto } from '../../dev/peers/mosquitto.js';

/** What a test gets of a shared Home Assistant. */
interface SharedHa {
  url: string;
  wsUrl: string;
  token: string;
  version: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    influxdBinary: string;
    homeAssistant: SharedHa;
    homeAssistantFloor: SharedHa;
  }
}

async function start(role: HaRole): Promise<RealHa> {
  try {
    return await startHomeAssistant({ role });
  } catch (err) {
    throw new Error(`The real Home Assistant peer (${role}) could not start: ${(err as Error).message}`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binary = await buildInfluxd();
  // Cached after the first run; provisioned here so a failure stops the run with its reason, before any test.
  await provisionInfluxdb1('debian');
  await provisionInfluxdb1('1.8');
  await installMosquitto();
  // One after the other: provisioning a cold venv keeps both cores busy, and the starts are short.
  const main = await start('main');
  let floor: RealHa;
  try {
    floor = await start('floor');
  } catch (err) {
    await main.stop();
    throw err;
  }
  const shared = (ha: RealHa): SharedHa => ({ url: ha.url, wsUrl: ha.wsUrl, token: ha.token, version: ha.version });
  project.provide('influxdBinary', binary);
  project.provide('homeAssistant', shared(main));
  project.provide('homeAssistantFloor', shared(floor));
  return async () => {
    await Promise.all([main.stop(), floor.stop()]);
  };
}
