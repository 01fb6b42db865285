import {
  errorMiddleware,
  healthMiddleware,
  parseInput,
  readJsonBody,
  type Health,
  type Logger,
  type SiblingIdentity,
} from '@homeiq/shared';
import type { TokenGrant } from '@homeiq/shared/contracts';
import Router from '@koa/router';
import Koa from 'koa';
import * as z from 'zod';
import { CALLERS, type Caller } from '../callers.js';
import { INFLUXQL_USER, type InfluxqlUsers } from '../influxql-credentials.js';
import type { Management } from '../management.js';
import type { Provisioning } from '../provisioning.js';
import type { Summary } from '../summary.js';
import type { TokenIssuer } from '../tokens.js';

export interface AppDeps {
  health: Health;
  identity: SiblingIdentity<Caller>;
  provisioning: Provisioning;
  tokens: TokenIssuer;
  influxqlUsers: InfluxqlUsers;
  management: Management;
  summary: Pick<Summary, 'get'>;
  /** Port and version the siblings connect to. */
  influx: () => { port: number; version: string };
  /** The host port 8086/tcp is published on (null: not published); for the Grafana token's URL hint. */
  publishedPort: () => Promise<number | null>;
  log: Logger;
}

const retentionBody = z.object({
  retentionDays: z.number().int().min(0).max(36500),
});

/** The manager API on port 8326: `/health` for everyone, `/api/*` for siblings proven through the Supervisor. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  const router = new Router();
  const admin = (ctx: Koa.Context) => deps.identity.require(ctx.socket.remoteAddress, ['homeiq-admin']);

  router.post('/api/tokens', async (ctx) => {
    const sibling = await deps.identity.require(ctx.socket.remoteAddress, CALLERS);
    const s = deps.provisioning.current();
    const issued = await deps.tokens.issue(sibling, s);
    const { port, version } = deps.influx();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      sibling,
      token: issued.token,
      org: s.org,
      orgId: s.orgId,
      bucket: s.raw.name,
      buckets: { raw: s.raw.name, downsampled: s.downsampled.map((b) => b.name) },
      port,
      influxdbVersion: version,
    } satisfies TokenGrant;
  });

  /** Where a tool outside Home Assistant connects: the published host port, if any (the panel fills in the host). */
  const reach = async () => {
    const published = await deps.publishedPort().catch(() => null);
    return {
      url_hint: published !== null ? `http://<home-assistant-host>:${published}` : null,
      published_port: published,
      container_port: deps.influx().port,
    };
  };

  // A read-only token for the user's Grafana or CLI; the panel asks for it and shows it once.
  router.post('/api/grafana-token', async (ctx) => {
    await admin(ctx);
    const s = deps.provisioning.current();
    const issued = await deps.tokens.issueGrafana(s);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      token: issued.token,
      name: issued.description,
      ...(await reach()),
      org: s.org,
      buckets: { raw: s.raw.name, downsampled: s.downsampled.map((b) => b.name) },
      databases: s.databases,
    };
  });

  // What an InfluxQL client needs besides the password: the user name and the databases.
  router.get('/api/influxql', async (ctx) => {
    await admin(ctx);
    ctx.body = { username: INFLUXQL_USER, databases: deps.provisioning.current().databases };
  });

  // A read-only InfluxQL user (1.x user name and password) for Grafana's InfluxQL data source or HA's sensor.
  router.post('/api/influxql-credentials', async (ctx) => {
    await admin(ctx);
    const s = deps.provisioning.current();
    const issued = await deps.influxqlUsers.issue(s);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      username: issued.username,
      password: issued.password,
      name: issued.description,
      ...(await reach()),
      databases: s.databases,
    };
  });

  // Health, disk use and the last downsampling run: the ingestor shows them in Home Assistant.
  router.get('/api/summary', async (ctx) => {
    await deps.identity.require(ctx.socket.remoteAddress, CALLERS);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await deps.summary.get();
  });

  router.get('/api/buckets', async (ctx) => {
    await admin(ctx);
    ctx.body = { buckets: await deps.management.buckets() };
  });

  router.patch('/api/buckets/:name', async (ctx) => {
    await admin(ctx);
    const body = parseInput(retentionBody, await readJsonBody(ctx));
    ctx.body = await deps.management.setRetention(ctx.params['name'] ?? '', body.retentionDays);
  });

  router.delete('/api/buckets/:name', async (ctx) => {
    await admin(ctx);
    const name = ctx.params['name'] ?? '';
    ctx.body = await deps.management.deleteBucket(name);
    deps.log.info(`deleted bucket ${name} and its data on request of the admin panel`);
  });

  router.get('/api/tasks', async (ctx) => {
    await admin(ctx);
    ctx.body = { tasks: await deps.management.tasks() };
  });

  router.post('/api/tasks/:id/run', async (ctx) => {
    await admin(ctx);
    const wait = ctx.query['wait'] === '1' || ctx.query['wait'] === 'true';
    ctx.body = await deps.management.run(ctx.params['id'] ?? '', wait);
  });

  app.use(errorMiddleware(deps.log));
  app.use(healthMiddleware(deps.health));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
