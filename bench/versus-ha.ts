// Side by side with the incumbent: the current real Home Assistant (role main of dev/peers/homeassistant/VERSIONS)
// runs its own `influxdb` integration (api_version 2, defaults otherwise) into one bucket, and HomeIQ's ingestor
// (built bundle, through the Supervisor emulator, default options) writes into another bucket of the same real
// influxd. HA's REST API drives helper entities at `--rate` service calls/s (each call is one to three recorded
// changes: template sensors follow the helpers). Per scenario, HA's recorder (every change of the window) is the
// reference: each bucket is compared with it point by point (same entity, same µs, same value).
//
// Scenarios: `steady` (no fault, `--steady-seconds`), `outage10s` and `outage120s` (influxd stopped, SIGINT, for 10 s
// and 120 s while the changes go on), `flip` (input_text.test_note alternating numbers and words during `steady`;
// counted apart, and left out of the others), `conflict` (during `steady`, twice a second, a sensor set through the
// REST API whose state alternates between a number and a word and which has a numeric attribute named `state`:
// the one way found to give HA's layout a field type conflict, see CONFLICT_ENTITY). Then CPU seconds of the HA process over `--cpu-seconds` of the same
// load: with its integration (ingestor stopped), with neither, and with the ingestor connected (no integration),
// plus the ingestor's own.
//
//   npm run bench -- versus-ha [--rate 20] [--steady-seconds 60] [--cpu-seconds 45]
//
// Last line: one JSON object, per scenario { recorder, homeiq, homeiqMissing, homeiqWrong, homeiqExtra,
// haIntegration, haIntegrationMissing, haIntegrationWrong, haIntegrationExtra }, and `cpu`.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBundles, REPO_ROOT, type AddonProcess } from '../dev/addon-process.js';
import { recordedChanges } from '../dev/ha-recorder.js';
import { launchIngestorConnected } from '../dev/ingestor-status.js';
import {
  createStateDriver,
  DEFAULT_DRIVER_ENTITIES,
  DERIVED_ENTITIES,
  haRest,
  startHomeAssistant,
  type RealHa,
} from '../dev/peers/homeassistant.js';
import { startInfluxd, type RealInfluxd } from '../dev/peers/influxd.js';
import { startSupervisorEmulator } from '../dev/supervisor/index.js';
import { cpuSeconds, homeiqPoints, integrationPoints, tally, type Bucket, type Tally } from './versus-ha-compare.js';

const IP = { ingestor: '127.0.58.1', admin: '127.0.58.3' };
const FLIP_ENTITY = 'input_text.test_note';
/**
 * HA's integration writes a word state as string field `state` and a numeric one as float `value`, and renames an
 * attribute that collides with a field of the same point (`state` → `state_`). A numeric attribute named `state`
 * on a numeric state has nothing to collide with, so it becomes a float field `state` in the series whose word
 * states made `state` a string: InfluxDB refuses that line.
 */
const CONFLICT_ENTITY = 'sensor.versus_conflict';
const INTEGRATION_BUCKET = 'ha_integration';
/** Marks the block appended to HA's configuration, so the CPU phase can take it out again. */
const INTEGRATION_MARK = '# versus-ha: the influxdb integration';
const TICKS = 100; // getconf CLK_TCK on Linux

/** The flip entity's n-th value: numbers and words in turn, as a sensor that sometimes reports text does. */
const flipValue = (n: number): string =>
  [`${n}.5`, 'idle', `${n}`, 'heating', `-${n}.25`, `error ${n}`][n % 6] as string;

const say = (m: string): void => console.log(`[versus-ha] ${m}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

interface ScenarioResult {
  recorder: number;
  homeiq: number;
  homeiqMissing: number;
  homeiqWrong: number;
  homeiqExtra: number;
  haIntegration: number;
  haIntegrationMissing: number;
  haIntegrationWrong: number;
  haIntegrationExtra: number;
}

const result = (recorder: number, h: Tally, i: Tally): ScenarioResult => ({
  recorder,
  homeiq: h.held,
  homeiqMissing: h.missing,
  homeiqWrong: h.wrong,
  homeiqExtra: h.extra,
  haIntegration: i.held,
  haIntegrationMissing: i.missing,
  haIntegrationWrong: i.wrong,
  haIntegrationExtra: i.extra,
});

interface Rig {
  ha: RealHa;
  influx: RealInfluxd;
  homeiq: Bucket;
  integration: Bucket;
  rate: number;
}

/** Lines HA's influxdb integration logged (its loggers: homeassistant.components.influxdb, influxdb_client). */
async function integrationLog(ha: RealHa): Promise<string[]> {
  const text = await readFile(ha.logFile, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => /homeassistant\.components\.influxdb|influxdb_client/.test(l));
}

/** Waits until a bucket stops growing for `quietMs` (the integration has no status to ask), at most `maxMs`. */
async function settle(read: () => Promise<number>, quietMs: number, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < end) {
    const n = await read();
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await sleep(1000);
  }
}

/** Drives the load for `ms`, running `during` meanwhile; returns the window [start, end] and the calls made. */
async function window(rig: Rig, ms: number, during: () => Promise<void> = async () => undefined) {
  const start = new Date();
  const driver = createStateDriver(rig.ha, {
    ratePerSecond: rig.rate,
    durationMs: ms,
    entities: [...DEFAULT_DRIVER_ENTITIES],
    textValue: flipValue,
  });
  driver.start();
  await during();
  const r = await driver.done;
  if (r.failed > 0) throw new Error(`the driver's calls failed: ${r.errors.join('; ')}`);
  await sleep(2500); // the recorder commits every second
  return { start, end: new Date(), calls: r.sent };
}

/** Counts one window for `entities`: the recorder, then each bucket once it has caught up. */
async function count(rig: Rig, w: { start: Date; end: Date }, entities: readonly string[]) {
  const recorder = await recordedChanges(rig.ha, entities, w.start, w.end);
  const set = new Set(entities);
  const held = async (): Promise<Tally> =>
    tally(recorder, await homeiqPoints(rig.homeiq, entities, w.start, w.end), set);
  const integrated = async (): Promise<Tally> =>
    tally(recorder, await integrationPoints(rig.integration, entities, w.start, w.end), set);
  // HomeIQ reports progress (its spool drains); the integration does not: wait for both buckets to stop growing.
  await settle(async () => (await held()).held, 5000, 180_000);
  await settle(async () => (await integrated()).held, 5000, 60_000);
  return result(recorder.size, await held(), await integrated());
}

export async function run(): Promise<void> {
  const t0 = Date.now();
  const rate = arg('rate', 20);
  const steadyMs = arg('steady-seconds', 60) * 1000;
  const cpuMs = arg('cpu-seconds', 45) * 1000;
  say('building the ingestor bundle; starting influxd and Home Assistant with its influxdb integration');
  const [, influx] = await Promise.all([buildBundles('ingestor'), startInfluxd()]);
  const setup = await influx.setup({ bucket: 'homeiq' });
  const created = await fetch(`${influx.url}/api/v2/buckets`, {
    method: 'POST',
    headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ orgID: setup.orgId, name: INTEGRATION_BUCKET, retentionRules: [] }),
  });
  if (created.status !== 201) throw new Error(`creating ${INTEGRATION_BUCKET}: ${created.status}`);
  const ha = await startHomeAssistant({
    extraConfig: [
      INTEGRATION_MARK,
      'influxdb:',
      '  api_version: 2',
      '  ssl: false',
      `  host: ${influx.host}`,
      `  port: ${influx.port}`,
      `  token: ${setup.token}`,
      `  organization: ${setup.org}`,
      `  bucket: ${INTEGRATION_BUCKET}`,
    ].join('\n'),
  });
  const supervisor = await startSupervisorEmulator({ core: { url: ha.url, token: ha.token, version: ha.version } });
  const addon = supervisor.registerAddon({
    configPath: join(REPO_ROOT, 'homeiq-ingestor/config.yaml'),
    ip: IP.ingestor,
    options: {
      target: 'external',
      external: { url: influx.url, org: setup.org, bucket: setup.bucket, token: setup.token },
    },
  });
  supervisor.registerAddon({ configPath: join(REPO_ROOT, 'homeiq-admin/config.yaml'), ip: IP.admin });
  let proc: AddonProcess | undefined;
  let dataDir: string | undefined;
  const startIngestor = async (): Promise<void> => {
    proc = await launchIngestorConnected({
      supervisorUrl: supervisor.url,
      addon,
      adminIp: IP.admin,
      everyMs: 200,
      ...(dataDir ? { dataDir } : {}),
    });
    dataDir = proc.dataDir;
  };
  const rig: Rig = {
    ha,
    influx,
    rate,
    homeiq: { url: influx.url, org: setup.org, token: setup.token, bucket: setup.bucket },
    integration: { url: influx.url, org: setup.org, token: setup.token, bucket: INTEGRATION_BUCKET },
  };
  const counted = [
    ...new Set(
      [...DEFAULT_DRIVER_ENTITIES, ...Object.values(DERIVED_ENTITIES).flat()].filter((e) => e !== FLIP_ENTITY),
    ),
  ];
  try {
    await startIngestor();
    await sleep(3000);
    const scenarios: Record<string, ScenarioResult> = {};
    const logAt: Record<string, number> = {};
    const report = (name: string, r: ScenarioResult): void => {
      scenarios[name] = r;
      say(
        `${name}: recorder ${r.recorder}; HomeIQ ${r.homeiq} (missing ${r.homeiqMissing}, wrong ${r.homeiqWrong}); ` +
          `HA integration ${r.haIntegration} (missing ${r.haIntegrationMissing}, wrong ${r.haIntegrationWrong})`,
      );
    };

    say(`steady: ${rate} service calls/s for ${steadyMs / 1000} s, no fault; the flip and conflict entities beside`);
    const steady = await window(rig, steadyMs, async () => {
      for (let n = 1; n <= (steadyMs / 1000) * 2; n += 1) {
        const state = n % 2 === 0 ? `${n}` : `text ${n}`;
        await haRest(ha, 'POST', `/api/states/${CONFLICT_ENTITY}`, { state, attributes: { state: n } });
        await sleep(500);
      }
    });
    report('steady', await count(rig, steady, counted));
    report('flip', await count(rig, steady, [FLIP_ENTITY]));
    report('conflict', await count(rig, steady, [CONFLICT_ENTITY]));
    logAt['steady'] = (await integrationLog(ha)).length;

    for (const outageS of [10, 120]) {
      say(`outage${outageS}s: influxd stopped for ${outageS} s while the changes go on`);
      const w = await window(rig, outageS * 1000 + 10_000, async () => {
        await sleep(5000);
        await influx.stop();
        await sleep(outageS * 1000);
        await influx.start();
      });
      report(`outage${outageS}s`, await count(rig, w, counted));
      logAt[`outage${outageS}s`] = (await integrationLog(ha)).length;
    }

    // CPU: the same load with the integration alone, with neither, with the ingestor alone.
    const haCpu = async (ms: number): Promise<number> => {
      const pid = ha.pid();
      if (pid === undefined) throw new Error('Home Assistant is not running');
      const before = await cpuSeconds(pid, TICKS);
      await window(rig, ms);
      return Number(((await cpuSeconds(pid, TICKS)) - before).toFixed(2));
    };
    say(`cpu: ${cpuMs / 1000} s of the same load, HA with its integration, the ingestor stopped`);
    await proc?.stop('SIGTERM');
    proc = undefined;
    const haWithIntegration = await haCpu(cpuMs);
    say('cpu: HA restarted without the integration');
    const configFile = join(ha.configDir, 'configuration.yaml');
    const config = await readFile(configFile, 'utf8');
    await writeFile(configFile, config.slice(0, config.indexOf(INTEGRATION_MARK)));
    await ha.restart();
    await sleep(5000);
    const haAlone = await haCpu(cpuMs);
    say('cpu: the ingestor connected (it backfills the gap first; measured once that is done)');
    await startIngestor();
    await sleep(10_000);
    const ingestorPid = (proc as AddonProcess | undefined)?.child.pid as number;
    const ingestorBefore = await cpuSeconds(ingestorPid, TICKS);
    const haWithHomeiq = await haCpu(cpuMs);
    const ingestor = Number(((await cpuSeconds(ingestorPid, TICKS)) - ingestorBefore).toFixed(2));
    const cpu = {
      seconds: cpuMs / 1000,
      haWithIntegration,
      haAlone,
      haWithHomeiq,
      ingestor,
      integrationOnHa: Number((haWithIntegration - haAlone).toFixed(2)),
      homeiqOnHa: Number((haWithHomeiq - haAlone).toFixed(2)),
    };
    say(
      `cpu over ${cpu.seconds} s: HA ${haAlone} s alone, ${haWithIntegration} s with its integration, ${haWithHomeiq} s ` +
        `serving the ingestor; the ingestor ${ingestor} s`,
    );
    const lines = await integrationLog(ha);
    say(`HA's influxdb integration logged ${lines.length} line(s)${lines.length ? `, first: ${lines[0]}` : ''}`);
    console.log(
      JSON.stringify({
        bench: 'versus-ha',
        homeAssistant: ha.version,
        rate,
        scenarios,
        cpu,
        haIntegrationLogLines: { total: lines.length, afterScenario: logAt, first: lines.slice(0, 3) },
        seconds: Math.round((Date.now() - t0) / 1000),
      }),
    );
  } finally {
    await proc?.stop('SIGTERM');
    await supervisor.stop();
    await ha.stop();
    await influx.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}
