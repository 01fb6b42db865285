// `npm run peers`: provisions (or reuses) the real peers (influxd, both Home Assistant venvs, InfluxDB 1.x,
// Debian's mosquitto) and prints one JSON line saying what and where.
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { provisionHomeAssistant, type HaRole } from './homeassistant.js';
import { buildInfluxd } from './influxd.js';
import { provisionInfluxdb1 } from './influxdb1.js';
import { installMosquitto } from './mosquitto.js';

const run = promisify(execFile);

const started = Date.now();
const binary = await buildInfluxd();
const influxSeconds = (Date.now() - started) / 1000;
const influxVersion = (await run(binary, ['version'])).stdout.trim();

/** One Home Assistant venv: provisioned (or reused) and timed. */
async function homeAssistant(role: HaRole) {
  const t0 = Date.now();
  const ha = await provisionHomeAssistant(role);
  return {
    version: ha.version,
    python: ha.pythonBinary,
    pythonVersion: ha.python,
    venv: dirname(dirname(ha.pythonBinary)),
    seconds: (Date.now() - t0) / 1000,
  };
}
// One after the other: each build keeps both cores busy.
const main = await homeAssistant('main');
const floor = await homeAssistant('floor');
const v1Started = Date.now();
const influxdb1 = { debian: await provisionInfluxdb1('debian'), '1.8': await provisionInfluxdb1('1.8') };
const v1Seconds = (Date.now() - v1Started) / 1000;
const mosquitto = await installMosquitto();

console.log(
  JSON.stringify({
    influxd: { version: influxVersion, binary, seconds: influxSeconds },
    homeAssistant: main,
    homeAssistantFloor: floor,
    influxdb1: { binaries: influxdb1, seconds: v1Seconds },
    mosquitto,
  }),
);
