// `npm run peers`: provisions (or reuses) the real peers and prints one JSON line saying what and where.
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { provisionHomeAssistant } from './homeassistant.js';
import { buildInfluxd } from './influxd.js';
import { provisionInfluxdb1 } from './influxdb1.js';

const run = promisify(execFile);

const started = Date.now();
const binary = await buildInfluxd();
const influxSeconds = (Date.now() - started) / 1000;
const influxVersion = (await run(binary, ['version'])).stdout.trim();
const haStarted = Date.now();
const ha = await provisionHomeAssistant();
const haSeconds = (Date.now() - haStarted) / 1000;
const v1Started = Date.now();
const influxdb1 = { debian: await provisionInfluxdb1('debian'), '1.8': await provisionInfluxdb1('1.8') };
const v1Seconds = (Date.now() - v1Started) / 1000;

console.log(
  JSON.stringify({
    influxd: { version: influxVersion, binary, seconds: influxSeconds },
    homeAssistant: { version: ha.version, python: ha.python, venv: dirname(dirname(ha.python)), seconds: haSeconds },
    influxdb1: { binaries: influxdb1, seconds: v1Seconds },
  }),
);
