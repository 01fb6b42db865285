import {
  HttpError,
  migrationProbeSchema,
  migrationStartSchema,
  parseInput,
  readJsonBody,
  type Logger,
} from '@homeiq/shared';
import type Router from '@koa/router';
import type { Migration } from '../migrate/migration.js';
import { SourceError } from '../migrate/source-types.js';

/** Bodies list up to MIGRATION_MAX_ENTITIES entity ids. */
const MAX_BODY = 1024 * 1024;

/**
 * A source's refusal (unreachable, credentials, not HA's schema…) is the answer: 422 with the sentence, which the
 * log gets too (once per request).
 */
async function sourceAnswer<T>(log: Logger, what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof SourceError)) throw err;
    log.warn(`${what}: ${err.message}`);
    throw new HttpError(422, err.message, { kind: err.kind });
  }
}

/**
 * The migration from an existing InfluxDB (docs/MIGRATION.md): probe a source, start, resume, cancel, status
 * and the full per-entity report. Mounted on the ingestor's internal API (admin sibling only).
 */
export function migrationRoutes(
  router: Router,
  migration: () => Pick<Migration, 'probe' | 'begin' | 'resume' | 'cancel' | 'status' | 'report'>,
  log: Logger,
): void {
  router.get('/api/migration', (ctx) => {
    ctx.body = migration().status();
  });
  router.get('/api/migration/report', (ctx) => {
    ctx.body = migration().report();
  });
  router.post('/api/migration/probe', async (ctx) => {
    const { source } = parseInput(migrationProbeSchema, await readJsonBody(ctx, MAX_BODY));
    ctx.body = await sourceAnswer(log, 'checking the migration source failed', () => migration().probe(source));
  });
  router.post('/api/migration', async (ctx) => {
    const req = parseInput(migrationStartSchema, await readJsonBody(ctx, MAX_BODY));
    ctx.body = await sourceAnswer(log, 'the migration did not start', () => migration().begin(req));
    ctx.status = 202;
  });
  router.post('/api/migration/resume', async (ctx) => {
    ctx.body = await migration().resume();
    ctx.status = 202;
  });
  router.delete('/api/migration', async (ctx) => {
    ctx.body = await migration().cancel();
  });
}
