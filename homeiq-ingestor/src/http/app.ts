import { errorMiddleware, healthMiddleware, type Health, type Logger } from '@homeiq/shared';
import Router from '@koa/router';
import Koa from 'koa';
import type { EventCounter } from '../event-counter.js';
import type { HaSocket } from '../ha/ha-socket.js';

export interface AppDeps {
  health: Health;
  counter: EventCounter;
  ha: HaSocket;
  log: Logger;
}

/** The ingestor's internal HTTP API (served on 8325 inside the add-on network). */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  const router = new Router();
  router.get('/api/status', (ctx) => {
    ctx.body = { homeAssistant: deps.ha.stats(), events: deps.counter.counts(), health: deps.health.report() };
  });
  app.use(errorMiddleware(deps.log));
  app.use(healthMiddleware(deps.health));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
