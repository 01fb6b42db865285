// Vitest global setup for the end-to-end project: provisions the real peers once per run and starts one
// real Home Assistant Core that the tests share. If a peer cannot be provisioned or started the run fails
// here, with the reason; no test is skipped for want of a peer.
import type { TestProject } from 'vitest/node';
import { startHomeAssistant, type RealHa } from './homeassistant.js';
import { buildInfluxd } from './influxd.js';
import { provisionInfluxdb1 } from './influxdb1.js';

declare module 'vitest' {
  export interface ProvidedContext {
    influxdBinary: string;
    homeAssistant: { url: string; wsUrl: string; token: string; version: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binary = await buildInfluxd();
  // Cached after the first run; provisioned here so a failure stops the run with its reason, before any test.
  await provisionInfluxdb1('debian');
  await provisionInfluxdb1('1.8');
  let ha: RealHa;
  try {
    ha = await startHomeAssistant();
  } catch (err) {
    throw new Error(`The real Home Assistant peer could not start: ${(err as Error).message}`);
  }
  project.provide('influxdBinary', binary);
  project.provide('homeAssistant', { url: ha.url, wsUrl: ha.wsUrl, token: ha.token, version: ha.version });
  return async () => {
    await ha.stop();
  };
}
