/**
 * The real homeiq-influxdb bundle on a real influxd, with the Supervisor emulator and the sibling addresses
 * registered, for tests that read it with InfluxQL or check its mappings (tests/integration/influxdb/influxql.test.ts
 * and dbrp.test.ts, and Home Assistant's own `influxdb` sensor in tests/e2e/ha-influxdb-sensor.test.ts). Also a
 * small home's states, encoded by the ingestor's real encoders for either layout, and what
 * `mean("value") … GROUP BY time(5m)` must answer for them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { EventEncoder } from '../../homeiq-ingestor/src/points/event-encoder.js';
import { EntityFilter } from '../../homeiq-ingestor/src/points/filter.js';
import { startSupervisorEmulator, type RegisteredAddon, type SupervisorEmulator } from '../../dev/supervisor/index.js';
import { AddonRun, call, CONFIG, prepare, registerSiblings, writeOptions } from './influxdb-addon.js';
import { until } from '../../dev/until.js';

export const OPTIONS = {
  log_level: 'info',
  org: 'homeassistant',
  bucket: 'homeassistant',
  retention_days: 365,
  retention_5m_days: 730,
  retention_1h_days: 0,
};

export interface InfluxqlCredentials {
  username: string;
  password: string;
  databases: { database: string; retentionPolicy: string; bucket: string; default: boolean }[];
}

export interface InfluxdbAddon {
  ip: { influxdb: string; ingestor: string; admin: string; stranger: string };
  /** The manager API (port 8326) and influxd (port 8086) on the add-on's address. */
  manager: string;
  influx: string;
  operatorToken: string;
  /** Stops the add-on (SIGTERM) and starts it again with these options on the same data dir. */
  restart(options: typeof OPTIONS): Promise<void>;
  /** A sibling's token, asked for from its address (`POST /api/tokens`). */
  siblingToken(from: string): Promise<string>;
  /** A new password for the InfluxQL user, asked for by the admin panel (`POST /api/influxql-credentials`). */
  influxqlCredentials(): Promise<InfluxqlCredentials>;
  /** Line protocol written with the ingestor's token (ns precision). */
  write(bucket: string, lines: string[]): Promise<void>;
  dispose(): Promise<void>;
}

/** Starts homeiq-influxdb on `<block>.1` (ingestor .2, admin .3, an unrelated add-on .4) and waits until it is set up. */
export async function startInfluxdbAddon(block: string): Promise<InfluxdbAddon> {
  const ip = { influxdb: `${block}.1`, ingestor: `${block}.2`, admin: `${block}.3`, stranger: `${block}.4` };
  const manager = `http://${ip.influxdb}:8326`;
  const influx = `http://${ip.influxdb}:8086`;
  const influxd = await prepare();
  const tmp = await mkdtemp(join(tmpdir(), 'homeiq-influxql-'));
  const dataDir = join(tmp, 'data');
  const emulator: SupervisorEmulator = await startSupervisorEmulator({});
  const self: RegisteredAddon = emulator.registerAddon({ configPath: CONFIG, ip: ip.influxdb });
  await registerSiblings(emulator, tmp, ip);
  let run: AddonRun | undefined;
  const start = async (options: typeof OPTIONS): Promise<void> => {
    await writeOptions(dataDir, options);
    const current = new AddonRun({ ...self.env(), HOMEIQ_DATA_DIR: dataDir, HOMEIQ_INFLUXD_BIN: influxd });
    run = current;
    await until(
      'homeiq-influxdb set up',
      async () => {
        if (current.child.exitCode !== null) throw new Error(`exited ${current.child.exitCode}:\n${current.output()}`);
        const r = await call(`${manager}/health`, ip.stranger);
        return r.status === 200 && r.json().checks.some((c: { name: string }) => c.name === 'setup') ? true : undefined;
      },
      { ms: 60_000, everyMs: 50 },
    );
  };
  await start(OPTIONS);
  const siblingToken = async (from: string): Promise<string> => {
    const r = await call(`${manager}/api/tokens`, from, { method: 'POST' });
    expect(r.status, r.text).toBe(200);
    return r.json().token;
  };
  return {
    ip,
    manager,
    influx,
    operatorToken: JSON.parse(await readFile(join(dataDir, 'homeiq', 'credentials.json'), 'utf8')).operatorToken,
    restart: async (options) => {
      await run?.terminate();
      await start(options);
    },
    siblingToken,
    influxqlCredentials: async () => {
      const r = await call(`${manager}/api/influxql-credentials`, ip.admin, { method: 'POST' });
      expect(r.status, r.text).toBe(200);
      expect(r.headers['cache-control']).toBe('no-store');
      return r.json();
    },
    write: async (bucket, lines) => {
      const r = await call(`${influx}/api/v2/write?org=homeassistant&bucket=${bucket}&precision=ns`, ip.ingestor, {
        method: 'POST',
        token: await siblingToken(ip.ingestor),
        body: `${lines.join('\n')}\n`,
        headers: { 'Content-Type': 'text/plain' },
      });
      expect(r.status, r.text).toBe(204);
    },
    dispose: async () => {
      await run?.dispose();
      await emulator.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

const MIN = 60_000;

/**
 * A small home's recent states. `now` is whole seconds (so InfluxQL's RFC 3339 answers compare exactly); the
 * kitchen temperature has readings over the last 50 minutes, one of them 2.5 minutes into the last complete
 * 5-minute window (which the 5m downsampling task summarises).
 */
export function smallHome(now: number) {
  const inLastWindow = (now - (Math.floor(now / (5 * MIN)) * 5 * MIN - 2.5 * MIN)) / MIN;
  /** [minutes ago, °C]: two readings in some 5-minute windows, one in others. */
  const temperatures: [number, number][] = [
    [50, 20],
    [49, 21],
    [35, 22],
    [20, 23.5],
    [19.5, 24.5],
    [inLastWindow, 25],
  ];
  return {
    temperatures,
    /** The home's states as the ingestor writes them in `layout`, through its own encoder. */
    lines(layout: 'homeiq' | 'ha_compatible'): string[] {
      const encoder = new EventEncoder(
        { maxStringLength: 16_384, excludeAttributes: new Set(), layout },
        new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] }),
        () => undefined,
      );
      const state = (entity_id: string, s: string, attributes: Record<string, unknown>, at: number): string => {
        const iso = new Date(at).toISOString();
        const line = encoder.encodeState({ entity_id, state: s, attributes, last_changed: iso, last_updated: iso });
        if (line === undefined) throw new Error(`the encoder wrote nothing for ${entity_id}`);
        return line;
      };
      const temp = { unit_of_measurement: '°C', device_class: 'temperature', friendly_name: 'Kitchen temperature' };
      return [
        ...temperatures.map(([ago, v]) => state('sensor.kitchen_temperature', String(v), temp, now - ago * MIN)),
        state('sensor.power', '1200', { unit_of_measurement: 'W', device_class: 'power' }, now - 30 * MIN),
        state('binary_sensor.door', 'on', { device_class: 'door' }, now - 20 * MIN),
        state('binary_sensor.door', 'off', { device_class: 'door' }, now - 10 * MIN),
        state('light.kitchen', 'on', { brightness: 180, friendly_name: 'Kitchen' }, now - 15 * MIN),
      ];
    },
    /** What `mean("value") … GROUP BY time(5m)` answers: [window start (RFC 3339), mean], epoch-aligned, in order. */
    fiveMinuteMeans(): [string, number][] {
      const windows = new Map<number, number[]>();
      for (const [ago, v] of temperatures) {
        const start = Math.floor((now - ago * MIN) / (5 * MIN)) * 5 * MIN;
        windows.set(start, [...(windows.get(start) ?? []), v]);
      }
      return [...windows.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([start, vs]) => [
          new Date(start).toISOString().replace('.000Z', 'Z'),
          vs.reduce((a, b) => a + b) / vs.length,
        ]);
    },
  };
}
