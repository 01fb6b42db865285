import { join } from 'node:path';
import {
  Backoff,
  createLogger,
  Health,
  HttpService,
  loadOptions,
  runMain,
  SiblingIdentity,
  SupervisorClient,
} from '@homeiq/shared';
import { CredentialsStore } from './credentials.js';
import { createApp } from './http/app.js';
import { CALLERS, type Caller } from './callers.js';
import { InfluxApi } from './influx/api.js';
import { CompatApi } from './influx/compat-api.js';
import { InfluxqlUsers } from './influxql-credentials.js';
import { influxdTuning } from './influxd/memory-profile.js';
import { InfluxdProcess } from './influxd/process.js';
import { Management, TaskWatch } from './management.js';
import { influxdbOptionsSchema } from './options.js';
import { Provisioning } from './provisioning.js';
import { Summary } from './summary.js';
import { TokenIssuer } from './tokens.js';
import { ADDON_PORTS } from '@homeiq/shared/contracts';

/** config.yaml `timeout` is 120 s; leave Docker and s6 ten seconds of it. */
const STOP_TIMEOUT_MS = 110_000;
/** influxd gets most of the stop budget to flush its WAL; the rest is for our HTTP server and the exit. */
const INFLUXD_STOP_MS = 95_000;
const HTTP_PORT = ADDON_PORTS.influxdbManager;
const INFLUXD_PORT = ADDON_PORTS.influxd;

await runMain({
  name: 'homeiq-influxdb',
  stopTimeoutMs: STOP_TIMEOUT_MS,
  async compose({ env, secrets }) {
    const options = await loadOptions(influxdbOptionsSchema, env.dataDir);
    const log = createLogger({ level: options.log_level, name: 'homeiq-influxdb', secrets });
    const health = new Health();
    const influxDir = join(env.dataDir, 'influxdb2');
    // Loopback when we listen everywhere: the manager reaches influxd fastest there.
    const influxHost = env.localAddress ?? '127.0.0.1';
    const supervisor = new SupervisorClient({
      baseUrl: env.supervisorUrl,
      token: env.supervisorToken,
      localAddress: env.localAddress,
    });
    const store = new CredentialsStore(join(env.dataDir, 'homeiq', 'credentials.json'));

    let provisioning: Provisioning | undefined;
    const api = new InfluxApi({
      baseUrl: `http://${influxHost}:${INFLUXD_PORT}`,
      token: () => provisioning?.operatorToken(),
    });
    const tokens = new TokenIssuer(api, secrets, log.child({ module: 'tokens' }));
    const compat = new CompatApi(api);
    provisioning = new Provisioning({
      api,
      compat,
      store,
      options,
      secrets,
      health,
      log: log.child({ module: 'setup' }),
      // Called during start, before the provisioned state exists: the org id comes with the call.
      revokeSiblingTokens: async (orgId) => tokens.revokeAll(orgId),
      saveOptions: async (changes) => supervisor.updateSelfOptions(changes),
    });
    const influxd = new InfluxdProcess({
      binary: process.env['HOMEIQ_INFLUXD_BIN'] ?? '/usr/local/bin/influxd',
      dataDir: influxDir,
      host: env.bindHost,
      port: INFLUXD_PORT,
      influxdLogLevel: options.log_level === 'trace' ? 'debug' : 'info',
      tuning: influxdTuning(options.memory_profile),
      influxdLog: log.child({ module: 'influxd' }),
      log: log.child({ module: 'influxd/supervisor' }),
      health,
      backoff: new Backoff({ initialMs: 1_000, maxMs: 60_000 }),
      probe: async () => {
        const h = await api.health();
        return { pass: h.status === 'pass', version: h.version };
      },
      stopTimeoutMs: INFLUXD_STOP_MS,
    });
    const management = new Management(api, compat, provisioning, health, join(influxDir, 'engine'));
    const http = new HttpService({
      name: 'manager api',
      app: createApp({
        health,
        identity: new SiblingIdentity<Caller>(supervisor, 'homeiq-influxdb', CALLERS),
        provisioning,
        tokens,
        influxqlUsers: new InfluxqlUsers(compat, secrets, log.child({ module: 'tokens' })),
        management,
        summary: new Summary({
          health,
          provisioned: provisioning.current.bind(provisioning),
          version: () => influxd.version,
          enginePath: join(influxDir, 'engine'),
        }),
        influx: () => ({ port: INFLUXD_PORT, version: influxd.version }),
        publishedPort: async () => supervisor.publishedPort(`${INFLUXD_PORT}/tcp`),
        log: log.child({ module: 'http' }),
      }),
      host: env.bindHost,
      port: HTTP_PORT,
      log: log.child({ module: 'http' }),
    });
    const days = (n: number): string => (n === 0 ? 'forever' : `${n} d`);
    log.info(
      `starting with org ${options.org}, bucket ${options.bucket} (retention ${days(options.retention_days)}; ` +
        `5m ${days(options.retention_5m_days)}; 1h ${days(options.retention_1h_days)}; memory profile ${options.memory_profile})`,
    );
    // HTTP first so /health answers while influxd boots; stopped last for the same reason.
    return { log, services: [http, influxd, provisioning, new TaskWatch(management, log.child({ module: 'tasks' }))] };
  },
});
