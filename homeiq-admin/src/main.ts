import { lookup } from 'node:dns/promises';
import { Health, HttpService, createLogger, loadOptions, runMain, SupervisorClient } from '@homeiq/shared';
import { createApp } from './http/app.js';
import { adminOptionsSchema } from './options.js';
import { SiblingStatusReader } from './siblings/sibling-status.js';

/** config.yaml `timeout` is 30 s; the panel holds no data, only open connections to close. */
const STOP_TIMEOUT_MS = 25_000;
/** The Supervisor's default ingress port; config.yaml leaves `ingress_port` at it. */
const INGRESS_PORT = 8099;

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
    const supervisor = new SupervisorClient({ baseUrl: env.supervisorUrl, token: env.supervisorToken, localAddress: env.localAddress });
    const health = new Health();
    health.set('panel', 'green', 'serving the panel through Home Assistant ingress');
    const siblings = new SiblingStatusReader({ supervisor, localAddress: env.localAddress, log: log.child({ module: 'siblings' }) });
    const http = new HttpService({
      name: 'ingress server',
      app: createApp({ health, siblings, ingressPeers, log: log.child({ module: 'http' }) }),
      host: env.bindHost,
      port: INGRESS_PORT,
      log: log.child({ module: 'http' }),
    });
    log.info(`starting with log level ${options.log_level}; serving ingress from ${[...ingressPeers].join(', ')}`);
    return { log, services: [http] };
  },
});
