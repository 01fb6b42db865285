/**
 * The bundle stopped (SIGTERM, as the Supervisor does) before it finished starting: while influxd is still
 * coming up, and while InfluxDB is being set up. Either way the stop is clean: exit 0, no influxd left.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  startSupervisorEmulator,
  type RegisteredAddon,
  type SupervisorEmulator,
} from '../../../dev/supervisor/index.js';
import {
  AddonRun,
  childPids,
  CONFIG,
  prepare,
  processAlive as alive,
  writeOptions,
} from '../../harness/influxdb-addon.js';
import { until } from '../../../dev/until.js';

const IP = { slow: '127.0.33.8', setup: '127.0.33.9' };
const OPTIONS = {
  log_level: 'info',
  org: 'homeassistant',
  bucket: 'homeassistant',
  retention_days: 365,
  retention_5m_days: 730,
  retention_1h_days: 0,
};

let influxd: string;
let tmp: string;
const emulators: SupervisorEmulator[] = [];
const runs: AddonRun[] = [];
/** influxd pids seen, killed at the end should a failed test have left one behind. */
const seen: number[] = [];

beforeAll(async () => {
  influxd = await prepare();
  tmp = await mkdtemp(join(tmpdir(), 'homeiq-influxdb-stop-'));
}, 600_000);

afterAll(async () => {
  for (const r of runs) await r.dispose();
  for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const e of emulators) await e.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function start(ip: string, name: string, binary: string): Promise<AddonRun> {
  const emulator = await startSupervisorEmulator({});
  emulators.push(emulator);
  const self: RegisteredAddon = emulator.registerAddon({ configPath: CONFIG, ip });
  const dataDir = join(tmp, name);
  await writeOptions(dataDir, OPTIONS);
  const run = new AddonRun({ ...self.env(), HOMEIQ_DATA_DIR: dataDir, HOMEIQ_INFLUXD_BIN: binary });
  runs.push(run);
  return run;
}

it('SIGTERM while influxd is still coming up stops it and exits 0', async () => {
  // influxd that needs a while before it listens (a WAL replay after a power cut); it ends at once on SIGINT.
  const slow = join(tmp, 'slow-influxd');
  await writeFile(
    slow,
    `#!/bin/sh\ntrap 'kill $w 2>/dev/null; exit 130' INT TERM\nsleep 20 & w=$!\nwait $w\nexec ${influxd} "$@"\n`,
  );
  await chmod(slow, 0o755);
  const run = await start(IP.slow, 'slow', slow);
  const [pid] = await until(
    'influxd started',
    async () => ((await childPids(run.child.pid)).length > 0 ? childPids(run.child.pid) : undefined),
    { ms: 10_000, everyMs: 50 },
  );
  seen.push(pid as number);
  await new Promise((r) => setTimeout(r, 500));
  const { code, ms } = await run.terminate();
  expect(code, run.output()).toBe(0);
  expect(ms).toBeLessThan(5_000);
  expect(alive(pid as number), run.output()).toBe(false);
  expect(run.output()).not.toMatch(/start-up failed/);
}, 30_000);

it('SIGTERM while InfluxDB is being set up stops influxd in order and exits 0', async () => {
  const run = await start(IP.setup, 'setup', influxd);
  await until('onboarding', async () => (/onboarded InfluxDB/.test(run.output()) ? true : undefined), {
    ms: 20_000,
    everyMs: 5,
  });
  const [pid] = await childPids(run.child.pid);
  expect(pid).toBeGreaterThan(0);
  seen.push(pid as number);
  const { code } = await run.terminate();
  expect(code, run.output()).toBe(0);
  expect(alive(pid as number), run.output()).toBe(false);
  const out = run.output();
  expect(out).not.toMatch(/start-up failed/);
  if (process.env['HOMEIQ_TEST_VERBOSE']) console.log(out);
  // In order: the interrupted set-up, then influxd stopped (SIGINT, its clean shutdown), then the manager.
  const at = (re: RegExp): number => run.lines.findIndex((l) => re.test(l));
  expect(at(/stopping \(SIGTERM\)/), out).toBeGreaterThan(-1);
  expect(at(/stopping influxd$/), out).toBeGreaterThan(at(/stopping \(SIGTERM\)/));
  expect(at(/influxd stopped \(/), out).toBeGreaterThan(at(/stopping influxd$/));
  expect(run.lines.at(-1), out).toMatch(/INFO\s+stopped$/);
}, 60_000);
