import {
  errorMiddleware,
  healthMiddleware,
  HttpError,
  parseInput,
  readJsonBody,
  type Health,
  type Logger,
  type SiblingIdentity,
} from '@homeiq/shared';
import Router from '@koa/router';
import Koa from 'koa';
import * as z from 'zod';
import { IMPORT_MAX_DAYS, IMPORT_MAX_ENTITIES } from '../backfill/backfill-status.js';
import type { Backfill } from '../backfill/backfill.js';
import type { RegistryEnricher } from '../enrich/registry.js';
import type { EventCounter } from '../event-counter.js';
import type { HaSocket } from '../ha/ha-socket.js';
import type { Quarantine } from '../influx/quarantine.js';
import type { InfluxWriter } from '../influx/writer.js';
import type { TargetDescription } from '@homeiq/shared/contracts';
import type { Migration } from '../migrate/migration.js';
import type { EventEncoder } from '../points/event-encoder.js';
import type { Reporter } from '../report/reporter.js';
import type { Spool } from '../spool/spool.js';
import { makeFilter, type EventStream } from './event-stream.js';
import type { StateReports } from '../ha/state-reports.js';
import { renderMetrics, type MetricsSnapshot } from './metrics.js';
import { migrationRoutes } from './migration-routes.js';

export interface AppDeps {
  health: Health;
  /** Everything but `/health` answers only the admin sibling (docs/CONVENTIONS.md "Identity between siblings"). */
  identity: Pick<SiblingIdentity, 'require'>;
  counter: Pick<EventCounter, 'counts'>;
  ha: Pick<HaSocket, 'stats'>;
  log: Logger;
  encoder: Pick<EventEncoder, 'stats'>;
  spool: Pick<Spool, 'stats' | 'append' | 'sync'>;
  writer: Pick<InfluxWriter, 'stats'>;
  quarantine: Pick<Quarantine, 'stats' | 'entries' | 'remove'>;
  stream: EventStream;
  /** Snapshot/gap/import progress and the import control (`/api/import`); absent = 503 there. */
  backfill?: Pick<Backfill, 'status' | 'requestImport' | 'cancelImport'> | undefined;
  /** Option state_reports_interval_s; absent when it is 0. */
  stateReports?: Pick<StateReports, 'stats'> | undefined;
  /** What is told to Home Assistant: the entities' transport and the raised alerts. */
  reporter?: Pick<Reporter, 'status'> | undefined;
  /** Registry enrichment status and the area names (ha_compatible runs without it). */
  enricher?: Pick<RegistryEnricher, 'status' | 'areas'> | undefined;
  /** Where the points go (`target` in `/api/status`, so the panel can say where the data is). */
  target?: TargetDescription;
  /** The migration from an existing InfluxDB (`/api/migration*`); absent = 503 there. */
  migration?: Pick<Migration, 'probe' | 'begin' | 'resume' | 'cancel' | 'status' | 'report'> | undefined;
}

/** Quarantine selections may list many entry ids; other bodies stay small. */
const MAX_BODY = 1024 * 1024;
const ids = z
  .array(z.string().regex(/^[0-9a-f]{16}$/, 'must be a quarantine entry id'))
  .min(1)
  .max(100_000);
/** `{"ids": [...]}` or `{"all": true}`, nothing else. */
const selectionSchema = z.union([z.strictObject({ ids }), z.strictObject({ all: z.literal(true) })]);

/** `POST /api/import`: `{"days": 7}` or `{"days": 7, "entities": ["sensor.a", …]}`. */
const importSchema = z.strictObject({
  days: z.number().int().min(1).max(IMPORT_MAX_DAYS),
  entities: z
    .array(
      z
        .string()
        .regex(/^[a-z0-9_]{1,64}\.[a-z0-9_]{1,255}$/, 'must be an entity id such as sensor.kitchen_temperature'),
    )
    .min(1)
    .max(IMPORT_MAX_ENTITIES)
    .optional(),
});

const list = (v: unknown): string[] =>
  (typeof v === 'string' ? [v] : Array.isArray(v) ? (v as string[]) : [])
    .flatMap((s) => s.split(','))
    .filter((s) => s !== '');
const streamQuerySchema = z.object({
  type: z.array(z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be an event type')).max(50),
  domain: z.array(z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be a domain such as sensor')).max(50),
  entity: z
    .array(z.string().regex(/^[a-z0-9_.*?]{1,255}$/, 'must be an entity id or a glob such as sensor.*_battery'))
    .max(50),
});

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
    refill: deps.backfill?.status().refill,
    stateReports: deps.stateReports?.stats(),
    memory: process.memoryUsage(),
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
      stream: deps.stream.stats(),
      backfill: deps.backfill?.status() ?? null,
      enrichment: deps.enricher?.status() ?? null,
      target: deps.target ?? { kind: 'auto' },
      stateReports: s.stateReports ?? null,
      homeAssistantReporting: deps.reporter?.status() ?? null,
      health: deps.health.report(),
    };
  });
  const backfill = (): NonNullable<AppDeps['backfill']> => {
    if (!deps.backfill) throw new HttpError(503, 'the history backfill is not running');
    return deps.backfill;
  };
  /** The history import: state, range, progress (0…1), ETA, points; and whether HA is connected (it runs only then). */
  router.get('/api/import', (ctx) => {
    ctx.body = { import: backfill().status().import, connected: deps.ha.stats().connected };
  });
  /** Starts (or restarts, replacing the running one) an import of the last `days` days; 202 with its status. */
  router.post('/api/import', async (ctx) => {
    const req = parseInput(importSchema, await readJsonBody(ctx, MAX_BODY));
    const status = await backfill().requestImport(req);
    ctx.status = 202;
    ctx.body = { import: status, connected: deps.ha.stats().connected };
  });
  /** Cancels the running or pending import; what it wrote stays. */
  router.delete('/api/import', async (ctx) => {
    ctx.body = await backfill().cancelImport();
  });
  /**
   * HA's areas with their names and floors: points carry area ids (rename-proof), the panel shows names. 503
   * until the registries were first read, so the panel retries soon instead of keeping an empty list.
   */
  router.get('/api/registry/areas', (ctx) => {
    if (!deps.enricher)
      throw new HttpError(503, 'area names are not read while ha_compatible is on (that layout records no areas)');
    const areas = deps.enricher.areas();
    if (!areas) throw new HttpError(503, "Home Assistant's registries have not been read yet");
    ctx.body = { areas };
  });
  migrationRoutes(
    router,
    () => {
      if (!deps.migration) throw new HttpError(503, 'the migration is not running');
      return deps.migration;
    },
    deps.log,
  );
  router.get('/metrics', (ctx) => {
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = `${renderMetrics(snapshot())}${renderStreamMetrics(deps.stream)}`;
  });
  router.get('/api/events/stream', (ctx) => {
    const q = parseInput(streamQuerySchema, {
      type: list(ctx.query['type']),
      domain: list(ctx.query['domain']),
      entity: list(ctx.query['entity']),
    });
    const header = ctx.get('Last-Event-ID') || (typeof ctx.query['since'] === 'string' ? ctx.query['since'] : '');
    const last = /^\d{1,15}$/.test(header) ? Number(header) : undefined;
    ctx.respond = false;
    deps.stream.attach(ctx.res, makeFilter({ types: q.type, domains: q.domain, entities: q.entity }), last);
  });
  router.get('/api/quarantine', async (ctx) => {
    const limit = Math.min(Math.max(Number(ctx.query['limit'] ?? 100) || 100, 1), 1000);
    ctx.body = { ...deps.quarantine.stats(), entries: await deps.quarantine.entries(limit) };
  });
  /**
   * Spools the selected quarantined lines again (durably, fsynced), then removes exactly those entries; lines
   * quarantined meanwhile stay. Lines the spool refuses (full) stay in the quarantine. No body = all.
   */
  router.post('/api/quarantine/retry', async (ctx) => {
    const sel =
      ctx.request.length || ctx.get('Content-Type')
        ? parseInput(selectionSchema, await readJsonBody(ctx, MAX_BODY))
        : { all: true as const };
    const entries = await deps.quarantine.entries(Number.MAX_SAFE_INTEGER);
    const wanted = 'ids' in sel ? new Set(sel.ids) : undefined;
    const requeued = new Set<string>();
    for (const e of entries) if ((!wanted || wanted.has(e.id)) && deps.spool.append(e.line)) requeued.add(e.id);
    await deps.spool.sync();
    await deps.quarantine.remove(requeued);
    const selected = wanted ? entries.filter((e) => wanted.has(e.id)).length : entries.length;
    ctx.body = {
      requeued: requeued.size,
      kept: selected - requeued.size,
      unknown: wanted ? wanted.size - selected : 0,
    };
  });
  /** Deletes the selected quarantined lines for good: `{"ids": [...]}` or `{"all": true}`. */
  router.post('/api/quarantine/discard', async (ctx) => {
    const sel = parseInput(selectionSchema, await readJsonBody(ctx, MAX_BODY));
    const discarded = await deps.quarantine.remove('ids' in sel ? new Set(sel.ids) : 'all');
    ctx.body = { discarded };
  });
  app.use(errorMiddleware(deps.log));
  app.use(healthMiddleware(deps.health));
  app.use(async (ctx, next) => {
    await deps.identity.require(ctx.socket.remoteAddress, ['homeiq-admin']);
    await next();
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

function renderStreamMetrics(stream: EventStream): string {
  const s = stream.stats();
  return [
    '# HELP homeiq_stream_clients Clients connected to the live event stream.',
    '# TYPE homeiq_stream_clients gauge',
    `homeiq_stream_clients ${s.clients}`,
    '# HELP homeiq_stream_dropped_clients_total Live event stream clients dropped because they could not keep up.',
    '# TYPE homeiq_stream_dropped_clients_total counter',
    `homeiq_stream_dropped_clients_total ${s.droppedClients}`,
    '',
  ].join('\n');
}
