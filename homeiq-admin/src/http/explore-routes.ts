import { parseInput, readJsonBody, type Logger } from '@homeiq/shared';
import type Router from '@koa/router';
import type Koa from 'koa';
import * as z from 'zod';
import {
  ENTITY_ID,
  EXPLORE_MAX_ENTITIES,
  EXPLORE_SOURCES,
  QUERY_LANGUAGES,
  QUERY_LIMITS,
  type ExploreCatalog,
  type QueryInfo,
} from '../api-types.js';
import { exploreCatalog, withPlaceNames } from '../explore/catalog.js';
import { explore } from '../explore/explore.js';
import { elsewhere } from '../overview/elsewhere.js';
import { Cached } from '../util/cache.js';
import type { QueryConsole } from '../explore/console.js';
import type { InfluxReader } from '../influx/flux.js';
import type { OverviewService } from '../overview/overview.js';
import type { AreaNames } from '../siblings/area-names.js';
import { ingressUser } from './ingress.js';

/** Unix ms up to the last time InfluxDB can store (2262). */
const unixMs = z.coerce.number().int().min(0).max(9_200_000_000_000);
/** An Explore chart: the entities (comma-separated ids), the range in Unix ms, the chart's width, the overrides. */
const exploreQuery = z
  .object({
    entities: z
      .string()
      .max(EXPLORE_MAX_ENTITIES * 322)
      .transform((s) => [...new Set(s.split(','))])
      .pipe(
        z
          .array(z.string().regex(ENTITY_ID, 'is not an entity id'))
          .min(1)
          .max(EXPLORE_MAX_ENTITIES, `at most ${EXPLORE_MAX_ENTITIES} entities at once`),
      ),
    start: unixMs,
    end: unixMs,
    width: z.coerce.number().int().min(100).max(8000).default(1000),
    source: z.enum(EXPLORE_SOURCES).default('auto'),
    every: z
      .string()
      .regex(/^(auto|none|[1-9]\d{0,5}[smhdw])$/, 'is not auto, none or a window such as 5m')
      .default('auto'),
    compare: z
      .enum(['0', '1'])
      .default('0')
      .transform((v) => v === '1'),
  })
  .strict()
  .refine((q) => q.end - q.start >= 1000, { message: 'the range must end at least a second after it starts' });
/** A console query; the body limit leaves room for JSON escapes of the longest query. */
const queryBody = z
  .object({
    language: z.enum(QUERY_LANGUAGES).default('flux'),
    query: z.string().trim().min(1, 'is empty').max(QUERY_LIMITS.maxQueryChars),
    /** InfluxQL's database: a bucket-like name. */
    database: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'is not a database name')
      .optional(),
    rows: z.number().int().min(1).max(QUERY_LIMITS.maxRows).default(QUERY_LIMITS.defaultRows),
    timeoutS: z.number().int().min(1).max(QUERY_LIMITS.maxTimeoutS).default(QUERY_LIMITS.defaultTimeoutS),
  })
  .strict();
const QUERY_BODY_BYTES = 8 * QUERY_LIMITS.maxQueryChars;

export interface ExploreDeps {
  influx: InfluxReader;
  console: QueryConsole;
  /** HA's area and floor names, for the entity search. */
  areaNames: Pick<AreaNames, 'areas'>;
  overview: Pick<OverviewService, 'status'>;
  log: Logger;
}

/**
 * The panel's Explore view: the entities it can chart, one chart (`explore/explore.ts`), and the read-only query
 * console (`explore/console.ts`). Every input is checked here by shape; running a console query needs the CSRF
 * token like a change, though it changes nothing (another site must not make InfluxDB work).
 */
export function exploreRoutes(router: Router, changing: Koa.Middleware, deps: ExploreDeps): void {
  const catalog = new Cached(() => exploreCatalog(deps.influx), 60_000);

  router.get('/api/explore/entities', async (ctx) => {
    const [o, areas, status] = await Promise.all([catalog.get(), deps.areaNames.areas(), deps.overview.status.get()]);
    const note = elsewhere(status);
    if (!o.ok && !note) throw o.error;
    const body: ExploreCatalog = o.ok
      ? {
          entities: withPlaceNames(o.value, areas.ok ? areas.value : undefined),
          problems:
            !areas.ok && o.value.some((e) => e.area !== undefined)
              ? [{ sibling: 'homeiq-ingestor', what: 'area names', why: `${areas.error.message}; ids are shown` }]
              : [],
          elsewhere: note,
        }
      : {
          entities: [],
          problems: [{ sibling: 'homeiq-influxdb', what: 'entities', why: o.error.message }],
          elsewhere: note,
        };
    ctx.body = body;
  });

  router.get('/api/explore', async (ctx) => {
    const q = parseInput(exploreQuery, ctx.query);
    const known = await catalog.get();
    ctx.body = await explore(deps.influx, new Map(known.ok ? known.value.map((e) => [e.entityId, e]) : []), {
      entities: q.entities,
      startMs: q.start,
      endMs: q.end,
      widthPx: q.width,
      source: q.source,
      every: q.every,
      compare: q.compare,
    });
  });

  router.get('/api/query', async (ctx) => {
    const [g, databases, status] = await Promise.all([
      deps.influx.grant().then(
        (v) => ({ ok: true as const, v }),
        (error: Error) => ({ ok: false as const, error }),
      ),
      deps.console.databases(),
      deps.overview.status.get(),
    ]);
    const note = elsewhere(status);
    // Writing elsewhere, the HomeIQ InfluxDB may well be missing: the note says where the data is, not an error.
    if (!g.ok && !note) throw g.error;
    const body: QueryInfo = {
      elsewhere: note,
      buckets: g.ok ? [g.v.buckets.raw, ...g.v.buckets.downsampled] : [],
      databases,
      defaultDatabase: g.ok ? g.v.buckets.raw : '',
      languages: [...QUERY_LANGUAGES],
      limits: QUERY_LIMITS,
    };
    ctx.body = body;
  });

  router.post('/api/query', changing, async (ctx) => {
    const q = parseInput(queryBody, await readJsonBody(ctx, QUERY_BODY_BYTES));
    deps.log.info(
      `${ingressUser(ctx)?.name ?? 'someone'} ran a ${q.language} query in the console (${q.query.length} characters)`,
    );
    ctx.body = await deps.console.run(q);
  });
}
