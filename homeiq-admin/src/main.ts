import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Health, HttpService, createLogger, loadOptions, runMain, SupervisorClient } from '@homeiq/shared';
import { GrafanaService } from './grafana.js';
import { loadPanelAssets } from './http/assets.js';
import { createApp } from './http/app.js';
import { Csrf } from './http/csrf.js';
import { QueryConsole } from './explore/console.js';
import { liveStream } from './http/live.js';
import { InfluxReader } from './influx/flux.js';
import { adminOptionsSchema } from './options.js';
import { OverviewService } from './overview/overview.js';
import { RateSampler } from './overview/rate-sampler.js';
import { AreaNames } from './siblings/area-names.js';
import { IngestorClient, ManagerClient } from './siblings/clients.js';
import { SiblingLocator } from './siblings/locator.js';
import { SiblingHttp } from './siblings/sibling-http.js';
import { SiblingStatusReader } from './siblings/sibling-status.js';
import { ADDON_PORTS } from '@homeiq/shared/contracts';

/** config.yaml `timeout` is 30 s; the panel holds no data, only open connections to close. */
const STOP_TIMEOUT_MS = 25_000;
/** The Supervisor's default ingress port; config.yaml leaves `ingress_port` at it. */
const INGRESS_PORT = ADDON_PORTS.adminIngress;

await runMain({
  name: 'homeiq-admin',
  stopTimeoutMs: STOP_TIMEOUT_MS,
  async compose({ env, secrets }) {
    const options = await loadOptions(adminOptionsSchema, env.dataDir);
    const log = createLogger({ level: options.log_level, name: 'homeiq-admin', secrets });
    // Ingress traffic comes from the Supervisor, so its address is the only peer we serve.
    const supervisorHost = new URL(env.supervisorUrl).hostname;
    const peers = await lookup(supervisorHost, { all: true });
    const ingressPeers = new Set(peers.map((p) => p.address));
    const supervisor = new SupervisorClient({
      baseUrl: env.supervisorUrl,
      token: env.supervisorToken,
      localAddress: env.localAddress,
    });
    const health = new Health();
    health.set('panel', 'green', 'serving the panel through Home Assistant ingress');
    const locator = new SiblingLocator(supervisor);
    const siblingHttp = new SiblingHttp({ locator, localAddress: env.localAddress });
    const ingestor = new IngestorClient(siblingHttp);
    const manager = new ManagerClient(siblingHttp);
    const influx = new InfluxReader({
      manager,
      locator,
      tokenFile: join(env.dataDir, 'influxdb-token.json'),
      localAddress: env.localAddress,
      secrets,
      log: log.child({ module: 'influx' }),
    });
    const sampler = new RateSampler(ingestor, log.child({ module: 'sampler' }));
    const overview = new OverviewService({ ingestorStatus: () => ingestor.status(), manager, influx, sampler });
    // The browser bundle sits next to the server bundle: dist/main.mjs and dist/panel/.
    const assets = await loadPanelAssets(join(dirname(fileURLToPath(import.meta.url)), 'panel'));
    if (assets.missing) log.error(`the panel's browser files are missing (${assets.missing}); the page will say so`);
    const siblings = new SiblingStatusReader({
      supervisor,
      localAddress: env.localAddress,
      log: log.child({ module: 'siblings' }),
    });
    const http = new HttpService({
      name: 'ingress server',
      app: createApp({
        health,
        ingressPeers,
        siblings,
        overview,
        ingestor,
        areaNames: new AreaNames(() => ingestor.areas()),
        manager,
        influx,
        grafana: new GrafanaService(locator, influx, manager),
        console: new QueryConsole(influx),
        csrf: new Csrf(randomBytes(32)),
        live: liveStream({ locator, localAddress: env.localAddress }),
        assets,
        log: log.child({ module: 'http' }),
      }),
      host: env.bindHost,
      port: INGRESS_PORT,
      log: log.child({ module: 'http' }),
    });
    log.info(`starting with log level ${options.log_level}; serving ingress from ${[...ingressPeers].join(', ')}`);
    return { log, services: [sampler, http] };
  },
});
