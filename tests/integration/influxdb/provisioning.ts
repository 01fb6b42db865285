/**
 * Builds the manager's provisioning (and its management API) against a real influxd, in-process, the way
 * main.ts wires it: for tests of what InfluxDB accepts and of the states a crash can leave behind.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createLogger, Health, LogSecrets } from '@homeiq/shared';
import { CredentialsStore } from '../../../homeiq-influxdb/src/credentials.js';
import { createApp } from '../../../homeiq-influxdb/src/http/app.js';
import type { SiblingIdentity } from '@homeiq/shared';
import { InfluxApi } from '../../../homeiq-influxdb/src/influx/api.js';
import { CompatApi } from '../../../homeiq-influxdb/src/influx/compat-api.js';
import type { InfluxqlUsers } from '../../../homeiq-influxdb/src/influxql-credentials.js';
import { Management } from '../../../homeiq-influxdb/src/management.js';
import type { InfluxdbOptions } from '../../../homeiq-influxdb/src/options.js';
import { Provisioning } from '../../../homeiq-influxdb/src/provisioning.js';
import { Summary } from '../../../homeiq-influxdb/src/summary.js';
import type { TokenIssuer } from '../../../homeiq-influxdb/src/tokens.js';

export const DEFAULTS: InfluxdbOptions = {
  log_level: 'info',
  org: 'homeassistant',
  bucket: 'homeassistant',
  retention_days: 365,
  retention_5m_days: 730,
  retention_1h_days: 0,
  memory_profile: 'small',
};

export interface Manager {
  provisioning: Provisioning;
  api: InfluxApi;
  store: CredentialsStore;
  management: Management;
  /** `<data dir>/influxdb2/engine`. */
  enginePath: string;
  /** Options the Supervisor was asked to save. */
  saved: Partial<InfluxdbOptions>[];
  lines: string[];
}

export function manager(
  dataDir: string,
  influxUrl: string,
  options: InfluxdbOptions = DEFAULTS,
  o: {
    saveOptions?: (c: Partial<InfluxdbOptions>) => Promise<unknown>;
    api?: (token: () => string | undefined) => InfluxApi;
  } = {},
): Manager {
  const secrets = new LogSecrets();
  const lines: string[] = [];
  const log = createLogger({ level: 'info', name: 'test', secrets, write: (l) => lines.push(l) });
  const store = new CredentialsStore(join(dataDir, 'homeiq', 'credentials.json'));
  let provisioning: Provisioning | undefined;
  const token = (): string | undefined => provisioning?.operatorToken();
  const api = o.api ? o.api(token) : new InfluxApi({ baseUrl: influxUrl, token });
  const saved: Partial<InfluxdbOptions>[] = [];
  const compat = new CompatApi(api);
  provisioning = new Provisioning({
    api,
    compat,
    store,
    options,
    secrets,
    health: new Health(),
    log,
    revokeSiblingTokens: async () => 0,
    saveOptions: o.saveOptions ?? (async (c) => saved.push(c)),
  });
  const enginePath = join(dataDir, 'influxdb2', 'engine');
  const management = new Management(api, compat, provisioning, new Health(), enginePath);
  return { provisioning, api, store, management, enginePath, saved, lines };
}

/** The manager API of `m` on `host` (port chosen by the kernel), every caller taken for the admin panel. */
export async function managerApi(m: Manager, host: string): Promise<{ url: string; close: () => Promise<void> }> {
  const log = createLogger({ level: 'info', name: 'test', secrets: new LogSecrets(), write: (l) => m.lines.push(l) });
  const app = createApp({
    health: new Health(),
    identity: { require: async () => 'homeiq-admin' } as unknown as SiblingIdentity<'homeiq-ingestor' | 'homeiq-admin'>,
    provisioning: m.provisioning,
    tokens: {} as TokenIssuer,
    influxqlUsers: {} as InfluxqlUsers,
    management: m.management,
    summary: new Summary({
      health: new Health(),
      provisioned: () => m.provisioning.current(),
      version: () => '2.9.1',
      enginePath: m.enginePath,
    }),
    influx: () => ({ port: 8086, version: '2.9.1' }),
    publishedPort: async () => null,
    log,
  });
  const server: Server = app.listen(0, host);
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
