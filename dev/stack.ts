import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startDemoDriver, startHaSimulator, type DemoDriver, type DemoHome, type HaSimulator } from './ha-sim/index.js';
import { buildBundles, launchRegistered, REPO_ROOT, type AddonName, type AddonProcess } from './addon-process.js';
import { createStateDriver, startHomeAssistant, type RealHa, type StateDriver } from './peers/homeassistant.js';
import { buildInfluxd } from './peers/influxd.js';
import { startSupervisorEmulator } from './supervisor/index.js';
import type { SupervisorEmulator } from './supervisor/types.js';

export interface DevStackOptions {
  /** Real Home Assistant Core from PyPI instead of the simulated demo home. */
  realHa?: boolean;
  /** Persistent data dirs (one per add-on) live here, so a restart keeps the database and the spool. */
  dataRoot: string;
  /** The emulator's port (0 = random). */
  port?: number;
  /** State changes per second driven into Home Assistant (the simulated demo home: 0 leaves the driving to the caller). */
  eventsPerSecond?: number;
  /** The simulated home's seed data instead of the demo home (the demo driver then finds none of its entities). */
  home?: DemoHome;
  /**
   * First three octets of the add-ons' loopback addresses (.11 ingestor, .12 influxdb, .13 admin), so a test
   * stack and a developer's `npm start` never collide. Default `127.0.0`.
   */
  addressBlock?: string;
  /**
   * The emulator's bound on what its WebSocket proxies queue towards a peer (default 16 MiB): a single frame
   * larger than it drops the connection, where the real Supervisor awaits each send. A bench sending one very
   * large state gives it room for that frame.
   */
  maxWsBufferedBytes?: number;
  /** Extra environment for an add-on's process (e.g. NODE_OPTIONS for a profiler). */
  extraEnv?: Partial<Record<AddonName, Record<string, string>>>;
  /** Each add-on's output lines, prefixed; silent by default. */
  onLine?: (addon: AddonName, line: string) => void;
  /** Progress messages. */
  say?: (msg: string) => void;
}

export interface DevStack {
  supervisor: SupervisorEmulator;
  homeAssistant: { url: string; version: string; simulated: boolean };
  /** The simulated Home Assistant (absent with `realHa`), for callers that drive states themselves. */
  simulator: HaSimulator | undefined;
  addons: Record<AddonName, AddonProcess>;
  /** The panel, as the browser reaches it: through the ingress emulator's prefix. */
  panelUrl: string;
  stop(): Promise<void>;
}

/** Last octet of each add-on's address, standing for its container IP; the emulator is 127.0.0.2 (the Supervisor). */
const HOST_PART: Record<AddonName, number> = { ingestor: 11, influxdb: 12, admin: 13 };
/** influxdb first (siblings ask it for tokens), the panel last; stopped in reverse. */
const ORDER: AddonName[] = ['influxdb', 'ingestor', 'admin'];

/** The whole product on one machine: emulator, Home Assistant, the three add-ons from their bundles. */
export async function startDevStack(opts: DevStackOptions): Promise<DevStack> {
  const say = opts.say ?? (() => {});
  const ip = (name: AddonName): string => `${opts.addressBlock ?? '127.0.0'}.${HOST_PART[name]}`;
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    say('building the add-on bundles');
    await buildBundles(...ORDER);
    say('building or reusing influxd (the first build from source takes a few minutes)');
    const influxd = await buildInfluxd();

    let core: { url: string; token: string; version: string };
    let simulated = true;
    let simulator: HaSimulator | undefined;
    if (opts.realHa) {
      say('starting Home Assistant Core (the first run installs it from PyPI)');
      const ha: RealHa = await startHomeAssistant();
      cleanups.push(() => ha.stop());
      const driver: StateDriver = createStateDriver(ha, {
        ratePerSecond: opts.eventsPerSecond ?? 2,
        durationMs: 24 * 3600_000,
      });
      driver.start();
      cleanups.push(async () => void (await driver.stop()));
      core = { url: ha.url, token: ha.token, version: ha.version };
      simulated = false;
    } else {
      say('starting the simulated demo home');
      const sim: HaSimulator = await startHaSimulator({ warn: () => {}, ...(opts.home ? { home: opts.home } : {}) });
      cleanups.push(() => sim.stop());
      simulator = sim;
      if (opts.eventsPerSecond !== 0) {
        const driver: DemoDriver = startDemoDriver(sim, { ratePerSecond: opts.eventsPerSecond ?? 5 });
        cleanups.push(async () => driver.stop());
      }
      core = { url: sim.url, token: sim.token, version: sim.version };
    }

    const supervisor = await startSupervisorEmulator({
      core,
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.maxWsBufferedBytes !== undefined ? { maxWsBufferedBytes: opts.maxWsBufferedBytes } : {}),
    });
    cleanups.push(() => supervisor.stop());

    const addons = {} as Record<AddonName, AddonProcess>;
    const registered = Object.fromEntries(
      ORDER.map((name) => [
        name,
        supervisor.registerAddon({ configPath: join(REPO_ROOT, `homeiq-${name}`, 'config.yaml'), ip: ip(name) }),
      ]),
    ) as Record<AddonName, ReturnType<SupervisorEmulator['registerAddon']>>;
    for (const name of ORDER) {
      const dataDir = join(opts.dataRoot, name);
      await mkdir(dataDir, { recursive: true });
      say(`starting homeiq-${name} on ${ip(name)}`);
      const proc = await launchRegistered({
        name,
        supervisorUrl: supervisor.url,
        addon: registered[name],
        dataDir,
        extraEnv: { ...(name === 'influxdb' ? { HOMEIQ_INFLUXD_BIN: influxd } : {}), ...opts.extraEnv?.[name] },
      });
      const forward = (c: Buffer): void => {
        for (const l of c.toString().split('\n')) if (l) opts.onLine?.(name, l);
      };
      proc.child.stdout?.on('data', forward);
      proc.child.stderr?.on('data', forward);
      cleanups.push(async () => void (await proc.stop('SIGTERM')));
      addons[name] = proc;
      await proc.waitForLine(/ INFO {2}started$/, 60_000);
    }
    return {
      supervisor,
      homeAssistant: { url: core.url, version: core.version, simulated },
      simulator,
      addons,
      panelUrl: supervisor.ingressUrl(registered.admin.slug, ''),
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
