import {
  migrationProbeSchema,
  migrationStartSchema,
  parseInput,
  readJsonBody,
  sourceView,
  type Logger,
} from '@homeiq/shared';
import type Router from '@koa/router';
import type Koa from 'koa';
import type { MigrationClient } from '../siblings/migration-client.js';
import { ingressUser } from './ingress.js';

/** Bodies may list up to MIGRATION_MAX_ENTITIES entity ids. */
const MAX_BODY = 1024 * 1024;

/**
 * The panel's Migrate view: `/api/migration*`, checked by the same schemas as the ingestor's and relayed to it
 * (it is the ingestor that reaches the old InfluxDB). Changes need the CSRF token; a probe too, as it sends
 * credentials on the user's behalf. Bodies are never logged: they hold the source's password or token.
 */
export function migrationRoutes(
  router: Router,
  changing: Koa.Middleware,
  migration: MigrationClient,
  log: Logger,
): void {
  const who = (ctx: Koa.Context): string => ingressUser(ctx)?.name ?? 'someone';

  router.get('/api/migration', async (ctx) => {
    ctx.body = await migration.status();
  });

  router.get('/api/migration/report', async (ctx) => {
    ctx.body = await migration.report();
  });

  router.post('/api/migration/probe', changing, async (ctx) => {
    const { source } = parseInput(migrationProbeSchema, await readJsonBody(ctx, MAX_BODY));
    ctx.body = await migration.probe(source);
  });

  router.post('/api/migration', changing, async (ctx) => {
    const req = parseInput(migrationStartSchema, await readJsonBody(ctx, MAX_BODY));
    const status = await migration.start(req);
    const v = sourceView(req.source);
    log.info(
      `${who(ctx)} started a migration from ${v.url} (${v.kind === 'influxdb1' ? `database ${v.database}` : `bucket ${v.bucket}`}, ${req.entities ? `${req.entities.length} entities` : 'all entities'})`,
    );
    ctx.status = 202;
    ctx.body = status;
  });

  router.post('/api/migration/resume', changing, async (ctx) => {
    const status = await migration.resume();
    log.info(`${who(ctx)} resumed the migration`);
    ctx.status = 202;
    ctx.body = status;
  });

  router.delete('/api/migration', changing, async (ctx) => {
    const result = await migration.cancel();
    if (result.cancelled) log.info(`${who(ctx)} cancelled the migration`);
    ctx.body = result;
  });
}
