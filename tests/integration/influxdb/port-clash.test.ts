/**
 * homeiq-influxdb when another program already listens on influxd's port: it must not take that server's
 * /health for its own influxd (nor onboard it), must say so in /health, and must start once the port is free.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  startSupervisorEmulator,
  type RegisteredAddon,
  type SupervisorEmulator,
} from '../../../dev/supervisor/index.js';
import { AddonRun, call, CONFIG, prepare, writeOptions } from '../../harness/influxdb-addon.js';
import { until } from '../../../dev/until.js';

// Not the addresses of addon.test.ts, which runs at the same time.
const IP = { influxdb: '127.0.32.1', probe: '127.0.32.9' };
const MANAGER = `http://${IP.influxdb}:8326`;

let influxd: string;
let emulator: SupervisorEmulator;
let self: RegisteredAddon;
let tmp: string;
let run: AddonRun | undefined;
let squatter: Server | undefined;

beforeAll(async () => {
  influxd = await prepare();
  tmp = await mkdtemp(join(tmpdir(), 'homeiq-influxdb-clash-'));
  emulator = await startSupervisorEmulator({});
  self = emulator.registerAddon({ configPath: CONFIG, ip: IP.influxdb });
}, 600_000);

afterAll(async () => {
  await run?.dispose();
  if (squatter?.listening) await new Promise((r) => squatter?.close(r));
  await emulator?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it('reports a port held by another program red, never talks to it, and starts influxd once the port is free', async () => {
  // Another "InfluxDB" on our port whose /health passes and whose setup is open: the trap.
  const seen: string[] = [];
  squatter = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.setHeader('Content-Type', 'application/json');
    res.end(req.url === '/health' ? '{"name":"influxdb","status":"pass","version":"v2.9.1"}' : '{"allowed":true}');
  });
  await new Promise<void>((r) => squatter?.listen(8086, IP.influxdb, r));

  const dataDir = join(tmp, 'data');
  await writeOptions(dataDir, {
    log_level: 'info',
    org: 'homeassistant',
    bucket: 'homeassistant',
    retention_days: 365,
    retention_5m_days: 730,
    retention_1h_days: 0,
  });
  run = new AddonRun({ ...self.env(), HOMEIQ_DATA_DIR: dataDir, HOMEIQ_INFLUXD_BIN: influxd });

  const red = await until(
    'health names the port clash',
    async () => {
      const r = await call(`${MANAGER}/health`, IP.probe);
      const c = r.json().checks.find((x: { name: string }) => x.name === 'influxd');
      return r.status === 503 && /already in use/.test(c?.reason ?? '') ? c : undefined;
    },
    { ms: 15_000, everyMs: 50 },
  );
  expect(red).toMatchObject({
    status: 'red',
    reason: expect.stringMatching(
      /^port 8086 on 127\.0\.32\.1 is already in use by another program, so influxd cannot start/,
    ),
    hint: expect.stringMatching(/Stop the program or add-on that listens on port 8086/),
  });
  // Give it time to make the mistake, if it would: no setup, no influxd, not one request to the squatter.
  await new Promise((r) => setTimeout(r, 2_500));
  const health = (await call(`${MANAGER}/health`, IP.probe)).json();
  expect(health.checks.find((c: { name: string }) => c.name === 'setup')).toBeUndefined();
  expect(seen).toEqual([]);
  expect(run.output()).toMatch(
    /ERROR .*port 8086 on 127\.0\.32\.1 is already in use by another program; influxd is not started until it is free/,
  );

  await new Promise((r) => squatter?.close(r));
  await until(
    'healthy once the port is free',
    async () => {
      const r = await call(`${MANAGER}/health`, IP.probe);
      return r.status === 200 &&
        r.json().checks.some((c: { name: string; status: string }) => c.name === 'setup' && c.status === 'green')
        ? true
        : undefined;
    },
    { ms: 30_000, everyMs: 50 },
  );
  expect(run.output()).toMatch(/port 8086 on 127\.0\.32\.1 is free again; starting influxd/);
  expect(run.output()).toMatch(/onboarded InfluxDB/);
  expect(seen).toEqual([]);
  expect((await run.terminate()).code).toBe(0);
}, 60_000);
