import { errorMiddleware, healthMiddleware, parseInput, readJsonBody, type Health, type Logger } from '@homeiq/shared';
import Router from '@koa/router';
import Koa from 'koa';
import * as z from 'zod';
import {
  ENTITY_ID,
  IMPORT_MAX_DAYS,
  IMPORT_MAX_ENTITIES,
  RANGES,
  type Entities,
  type Overview,
  type SiblingSummary,
  type Storage,
} from '../api-types.js';
import type { QueryConsole } from '../explore/console.js';
import { entityRows, entitySeries, ENTITY_WINDOW, topMeasurements, TOP_WINDOW } from '../influx/queries.js';
import type { InfluxReader } from '../influx/flux.js';
import { elsewhere } from '../overview/elsewhere.js';
import type { OverviewService } from '../overview/overview.js';
import type { GrafanaService } from '../grafana.js';
import { withAreaNames, type AreaNames } from '../siblings/area-names.js';
import type { IngestorClient, ManagerClient } from '../siblings/clients.js';
import type { AddonSlug } from '@homeiq/shared';
import { Cached } from '../util/cache.js';
import { assetsMiddleware, type PanelAssets } from './assets.js';
import type { Csrf } from './csrf.js';
import { ingressOnly, ingressPath, ingressUser } from './ingress.js';
import type { liveStream } from './live.js';
import { exploreRoutes } from './explore-routes.js';
import { migrationRoutes } from './migration-routes.js';
import { panelPage } from './page.js';

export interface AppDeps {
  health: Health;
  /** Addresses the ingress proxy connects from (the Supervisor). */
  ingressPeers: ReadonlySet<string>;
  siblings: { read(slug: AddonSlug): Promise<SiblingSummary> };
  overview: OverviewService;
  ingestor: IngestorClient;
  /** The ingestor's area names, for the Entities view (the points carry area ids). */
  areaNames: Pick<AreaNames, 'get' | 'areas'>;
  manager: ManagerClient;
  influx: InfluxReader;
  grafana: GrafanaService;
  console: QueryConsole;
  csrf: Csrf;
  /** The ingestor's live event stream, relayed (see live.ts). */
  live: ReturnType<typeof liveStream>;
  assets: PanelAssets;
  log: Logger;
}

const retentionBody = z.object({ retentionDays: z.number().int().min(0).max(36500) }).strict();
const bucketName = z.string().min(1).max(64);
const taskId = z.string().regex(/^[0-9a-f]{16}$/, 'is not an InfluxDB task id');
const entityId = z.string().min(1).max(255);
const seriesQuery = z.object({ entity: entityId, range: z.enum(RANGES).default('24h') });
/** Which quarantined points: the listed ids, or all of them when `ids` is left out. */
const quarantineSelection = z
  .object({
    ids: z
      .array(z.string().regex(/^[0-9a-f]{16}$/, 'is not a quarantine entry id'))
      .min(1)
      .max(100_000)
      .optional(),
  })
  .strict();
/** A history import: the last `days` days, of the listed entities or (left out) of all. */
const importBody = z
  .object({
    days: z.number().int().min(1).max(IMPORT_MAX_DAYS),
    entities: z.array(z.string().regex(ENTITY_ID, 'is not an entity id')).min(1).max(IMPORT_MAX_ENTITIES).optional(),
  })
  .strict();
const limitQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) });

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'self'";

/** The panel server behind HA ingress: the page, its assets and its JSON API, all relative to the prefix. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  const router = new Router();
  const changing = deps.csrf.guard();
  const storageTop = new Cached(() => topMeasurements(deps.influx), 30_000);
  const entities = new Cached(() => entityRows(deps.influx), 10_000);
  const siblingCache = new Cached(
    () => Promise.all([deps.siblings.read('homeiq-ingestor'), deps.siblings.read('homeiq-influxdb')]),
    2000,
  );

  router.get('/', (ctx) => {
    const user = ingressUser(ctx) ?? null;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', CSP);
    ctx.body = panelPage(ingressPath(ctx), { user, csrf: user ? deps.csrf.token(user.id) : null }, deps.assets);
  });

  router.get('/api/overview', async (ctx) => {
    const [overview, siblings] = await Promise.all([deps.overview.build(), siblingCache.get()]);
    const body: Overview & { user: ReturnType<typeof ingressUser> | null; siblings: SiblingSummary[] } = {
      ...overview,
      user: ingressUser(ctx) ?? null,
      siblings: siblings.ok ? siblings.value : [],
    };
    ctx.body = body;
  });

  router.get('/api/storage', async (ctx) => {
    const [buckets, tasks, top, status] = await Promise.all([
      deps.overview.buckets.get(),
      deps.overview.tasks.get(),
      storageTop.get(),
      deps.overview.status.get(),
    ]);
    const problems: Storage['problems'] = [];
    for (const [o, what] of [
      [buckets, 'buckets'],
      [tasks, 'tasks'],
      [top, 'series by measurement'],
    ] as const) {
      if (!o.ok) problems.push({ sibling: 'homeiq-influxdb', what, why: o.error.message });
    }
    const body: Storage = {
      buckets: buckets.ok ? buckets.value : null,
      tasks: tasks.ok ? tasks.value : null,
      top: top.ok ? top.value : null,
      topWindow: TOP_WINDOW.label,
      problems,
      elsewhere: elsewhere(status),
    };
    ctx.body = body;
  });

  router.patch('/api/buckets/:name', changing, async (ctx) => {
    const name = parseInput(bucketName, ctx.params['name']);
    const { retentionDays } = parseInput(retentionBody, await readJsonBody(ctx));
    const updated = await deps.manager.setRetention(name, retentionDays);
    deps.overview.buckets.invalidate();
    deps.log.info(
      `${ingressUser(ctx)?.name ?? 'someone'} set the retention of bucket ${name} to ${retentionDays} days`,
    );
    ctx.body = updated;
  });

  router.post('/api/tasks/:id/run', changing, async (ctx) => {
    const id = parseInput(taskId, ctx.params['id']);
    const run = await deps.manager.runTask(id);
    deps.overview.tasks.invalidate();
    deps.log.info(`${ingressUser(ctx)?.name ?? 'someone'} ran task ${id}: ${run.status}`);
    ctx.body = run;
  });

  // The names are asked beside InfluxDB, not after it; without them (ingestor down) the rows show area ids.
  router.get('/api/entities', async (ctx) => {
    const [o, names, status] = await Promise.all([entities.get(), deps.areaNames.get(), deps.overview.status.get()]);
    const note = elsewhere(status);
    if (!o.ok && !note) throw o.error;
    // Writing elsewhere, the HomeIQ InfluxDB may well be missing: the note says where the data is, not an error.
    const body: Entities = o.ok
      ? { window: ENTITY_WINDOW.label, ...withAreaNames(o.value, names), elsewhere: note }
      : {
          window: ENTITY_WINDOW.label,
          entities: [],
          problems: [{ sibling: 'homeiq-influxdb', what: 'entities', why: o.error.message }],
          elsewhere: note,
        };
    ctx.body = body;
  });

  // The entity id travels in the query, not the path: ingress decodes `%2F` in paths into `/`.
  router.get('/api/series', async (ctx) => {
    const { entity, range } = parseInput(seriesQuery, ctx.query);
    ctx.body = await entitySeries(deps.influx, entity, range);
  });

  exploreRoutes(router, changing, deps);

  router.get('/api/quarantine', async (ctx) => {
    const { limit } = parseInput(limitQuery, ctx.query);
    ctx.body = await deps.ingestor.quarantine(limit);
  });

  router.get('/api/events/stream', deps.live);

  router.post('/api/quarantine/retry', changing, async (ctx) => {
    const { ids } = parseInput(quarantineSelection, await readJsonBody(ctx));
    const result = await deps.ingestor.retryQuarantine(ids);
    deps.overview.status.invalidate();
    deps.log.info(
      `${ingressUser(ctx)?.name ?? 'someone'} retried the quarantine: ${result.requeued} requeued, ${result.kept} kept`,
    );
    ctx.body = result;
  });

  router.post('/api/quarantine/discard', changing, async (ctx) => {
    const { ids } = parseInput(quarantineSelection, await readJsonBody(ctx));
    const result = await deps.ingestor.discardQuarantine(ids);
    deps.overview.status.invalidate();
    deps.log.info(`${ingressUser(ctx)?.name ?? 'someone'} discarded ${result.discarded} quarantined points`);
    ctx.body = result;
  });

  router.get('/api/import', async (ctx) => {
    ctx.body = await deps.ingestor.importStatus();
  });

  router.post('/api/import', changing, async (ctx) => {
    const { days, entities } = parseInput(importBody, await readJsonBody(ctx));
    const result = await deps.ingestor.startImport(days, entities);
    deps.log.info(
      `${ingressUser(ctx)?.name ?? 'someone'} started a history import of the last ${days} days (${entities ? `${entities.length} entities` : 'all entities'})`,
    );
    ctx.status = 202;
    ctx.body = result;
  });

  router.delete('/api/import', changing, async (ctx) => {
    const result = await deps.ingestor.cancelImport();
    if (result.cancelled) deps.log.info(`${ingressUser(ctx)?.name ?? 'someone'} cancelled the history import`);
    ctx.body = result;
  });

  migrationRoutes(router, changing, deps.ingestor.migration, deps.log);

  router.get('/api/grafana', async (ctx) => {
    ctx.body = await deps.grafana.info();
  });

  router.post('/api/grafana/influxql-credentials', changing, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await deps.grafana.influxqlCredentials();
    deps.log.info(`${ingressUser(ctx)?.name ?? 'someone'} asked for a new password of the InfluxQL user`);
  });

  router.delete('/api/buckets/:name', changing, async (ctx) => {
    const name = parseInput(bucketName, ctx.params['name']);
    ctx.body = await deps.manager.deleteBucket(name);
    deps.overview.buckets.invalidate();
    deps.log.info(`${ingressUser(ctx)?.name ?? 'someone'} deleted bucket ${name} and its data`);
  });

  router.post('/api/grafana/token', changing, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await deps.grafana.token();
    deps.log.info(`${ingressUser(ctx)?.name ?? 'someone'} asked for a read-only Grafana token`);
  });

  app.use(errorMiddleware(deps.log));
  app.use(ingressOnly(deps.ingressPeers));
  app.use(async (ctx, next) => {
    // API answers (errors included) are live data: never cached by the browser or a proxy.
    if (ctx.path.startsWith('/api/')) ctx.set('Cache-Control', 'no-store');
    await next();
  });
  app.use(healthMiddleware(deps.health));
  app.use(assetsMiddleware(deps.assets));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
