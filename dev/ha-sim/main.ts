// Runs the demo home by hand: `npx vite-node dev/ha-sim/main.ts`.
// HA_SIM_PORT, HA_SIM_TOKEN and HA_SIM_RATE (writes/s, default 5) tune it.

import { startDemoDriver, startHaSimulator } from './index';

const env = process.env;
const sim = await startHaSimulator({
  port: Number(env['HA_SIM_PORT'] ?? 8123),
  ...(env['HA_SIM_TOKEN'] ? { token: env['HA_SIM_TOKEN'] } : {}),
});
const driver = startDemoDriver(sim, { ratePerSecond: Number(env['HA_SIM_RATE'] ?? 5) });
console.log(`Home Assistant simulator ${sim.version} at ${sim.url} (WebSocket ${sim.wsUrl})`);
console.log(`token: ${sim.token}`);

const shutdown = async () => {
  driver.stop();
  await sim.stop();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
