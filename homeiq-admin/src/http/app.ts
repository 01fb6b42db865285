import { errorMiddleware, healthMiddleware, type Health, type Logger } from '@homeiq/shared';
import Router from '@koa/router';
import Koa from 'koa';
import type { SiblingStatusReader } from '../siblings/sibling-status.js';
import { ingressOnly, ingressPath, ingressUser } from './ingress.js';
import { overviewPage } from './overview-page.js';

export interface AppDeps {
  health: Health;
  siblings: SiblingStatusReader;
  /** Addresses the ingress proxy connects from (the Supervisor). */
  ingressPeers: ReadonlySet<string>;
  log: Logger;
}

/** The panel server behind HA ingress. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  const router = new Router();
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = overviewPage(ingressPath(ctx), ingressUser(ctx));
  });
  router.get('/api/overview', async (ctx) => {
    const siblings = await Promise.all([deps.siblings.read('homeiq-ingestor'), deps.siblings.read('homeiq-influxdb')]);
    ctx.body = { user: ingressUser(ctx) ?? null, siblings };
  });
  app.use(errorMiddleware(deps.log));
  app.use(ingressOnly(deps.ingressPeers));
  app.use(healthMiddleware(deps.health));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
