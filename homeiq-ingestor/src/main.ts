import { Health, HttpService, createLogger, loadOptions, runMain, SupervisorClient } from '@homeiq/shared';
import { EventCounter } from './event-counter.js';
import { HaSocket } from './ha/ha-socket.js';
import { createApp } from './http/app.js';
import { ingestorOptionsSchema } from './options.js';

/** config.yaml `timeout` is 120 s; leave Docker and s6 ten seconds of it. */
const STOP_TIMEOUT_MS = 110_000;
const HTTP_PORT = 8325;

await runMain({
  name: 'homeiq-ingestor',
  stopTimeoutMs: STOP_TIMEOUT_MS,
  async compose({ env, secrets }) {
    const options = await loadOptions(ingestorOptionsSchema, env.dataDir);
    const log = createLogger({ level: options.log_level, name: 'homeiq-ingestor', secrets });
    const health = new Health();
    const counter = new EventCounter();
    const supervisor = new SupervisorClient({ baseUrl: env.supervisorUrl, token: env.supervisorToken, localAddress: env.localAddress });
    const ha = new HaSocket({
      url: supervisor.coreWebSocketUrl(),
      token: env.supervisorToken,
      localAddress: env.localAddress,
      eventTypes: options.event_types,
      log: log.child({ module: 'ha/socket' }),
      health,
      onEvent: (event) => counter.record(event),
    });
    const http = new HttpService({
      name: 'http api',
      app: createApp({ health, counter, ha, log: log.child({ module: 'http' }) }),
      host: env.bindHost,
      port: HTTP_PORT,
      log: log.child({ module: 'http' }),
    });
    log.info(`starting with log level ${options.log_level}; recording state_changed${options.event_types.map((t) => `, ${t}`).join('')}`);
    return { log, services: [http, ha] };
  },
});
