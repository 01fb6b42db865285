import { errorMiddleware, healthMiddleware, type Health, type Logger } from '@homeiq/shared';
import Router from '@koa/router';
import Koa from 'koa';
import type { EventCounter } from '../event-counter.js';
import type { HaSocket } from '../ha/ha-socket.js';
import type { Quarantine } from '../influx/quarantine.js';
import type { InfluxWriter } from '../influx/writer.js';
import type { EventEncoder } from '../points/event-encoder.js';
import type { Spool } from '../spool/spool.js';
import { renderMetrics, type MetricsSnapshot } from './metrics.js';

export interface AppDeps {
  health: Health;
  counter: EventCounter;
  ha: HaSocket;
  log: Logger;
  encoder: EventEncoder;
  spool: Spool;
  writer: InfluxWriter;
  quarantine: Quarantine;
}

/** The ingestor's internal HTTP API (served on 8325 inside the add-on network). */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  const router = new Router();
  const snapshot = (): MetricsSnapshot => ({
    events: deps.counter.counts(),
    ha: deps.ha.stats(),
    encoder: deps.encoder.stats(),
    spool: deps.spool.stats(),
    writer: deps.writer.stats(),
    quarantine: deps.quarantine.stats(),
  });
  router.get('/api/status', (ctx) => {
    const s = snapshot();
    ctx.body = {
      homeAssistant: s.ha,
      events: s.events,
      encoder: s.encoder,
      spool: s.spool,
      writer: s.writer,
      quarantine: s.quarantine,
      health: deps.health.report(),
    };
  });
  router.get('/metrics', (ctx) => {
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = renderMetrics(snapshot());
  });
  router.get('/api/quarantine', async (ctx) => {
    const limit = Math.min(Math.max(Number(ctx.query['limit'] ?? 100) || 100, 1), 1000);
    ctx.body = { ...deps.quarantine.stats(), entries: await deps.quarantine.entries(limit) };
  });
  /** Spools every quarantined line again (durably), then empties the quarantine. */
  router.post('/api/quarantine/retry', async (ctx) => {
    const entries = await deps.quarantine.entries(Number.MAX_SAFE_INTEGER);
    let requeued = 0;
    for (const e of entries) if (deps.spool.append(e.line)) requeued += 1;
    await deps.spool.sync();
    if (requeued === entries.length) await deps.quarantine.clear();
    ctx.body = { requeued, kept: entries.length - requeued };
  });
  app.use(errorMiddleware(deps.log));
  app.use(healthMiddleware(deps.health));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
