import { HttpError, sourceView, type MigrationSourceConfig, type MigrationStartRequest } from '@homeiq/shared';
import type { MigrationProbe } from '@homeiq/shared/contracts';
import { isoToNsGeneral } from '../points/line-protocol.js';
import { nsToIso } from './ha-schema.js';
import type { JobRecord } from './migration-job.js';
import { emptyReport } from './migration-report.js';
import type { SourceSurvey } from './source-types.js';

/** From a request and the source's survey to what the API answers: a probe, or a new job. */

const FIRST_SPAN_NS = 3_600_000_000_000n;
const PROBE_ENTITIES = 20_000;

/** `POST /api/migration/probe`'s answer: HA's entities with their measurements, the extent, what is skipped. */
export function probeAnswer(
  source: MigrationSourceConfig,
  survey: SourceSurvey,
  layout: JobRecord['layout'],
): MigrationProbe {
  const byEntity = new Map<string, string[]>();
  for (const s of survey.series) byEntity.set(s.entityId, [...(byEntity.get(s.entityId) ?? []), s.measurement]);
  return {
    source: sourceView(source),
    serverVersion: survey.serverVersion,
    entities: [...byEntity].slice(0, PROBE_ENTITIES).map(([entityId, measurements]) => ({ entityId, measurements })),
    truncated: survey.truncated || byEntity.size > PROBE_ENTITIES,
    foreign: survey.foreign,
    mixedTypes: survey.mixedTypes,
    first: survey.firstNs === undefined ? undefined : nsToIso(survey.firstNs),
    last: survey.lastNs === undefined ? undefined : nsToIso(survey.lastNs),
    layout,
  };
}

function timeNs(iso: string, what: string): bigint {
  const ns = isoToNsGeneral(iso);
  if (ns === undefined) throw new HttpError(400, `${what}: not a time InfluxDB can hold`);
  return BigInt(ns);
}

/**
 * A new job for `req`, checked against the survey: every entity asked for is in the source, and the range (by
 * default all the source holds) is not empty. Throws an HttpError saying what is wrong.
 */
export function planJob(req: MigrationStartRequest, survey: SourceSurvey, layout: JobRecord['layout']): JobRecord {
  const known = new Set(survey.series.map((s) => s.entityId));
  const missing = (req.entities ?? []).filter((id) => !known.has(id));
  if (missing.length > 0 && !survey.truncated)
    throw new HttpError(
      422,
      `not in the source: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}`,
    );
  const from = req.from === undefined ? survey.firstNs : timeNs(req.from, 'from');
  const last = survey.lastNs === undefined ? undefined : survey.lastNs + 1n;
  const to = req.to === undefined ? last : timeNs(req.to, 'to');
  if (from === undefined || to === undefined || from >= to)
    throw new HttpError(422, 'the source holds nothing of Home Assistant in that time range');
  return {
    version: 1,
    source: req.source,
    layout,
    fromNs: String(from),
    toNs: String(to),
    cursorNs: String(from),
    spanNs: String(FIRST_SPAN_NS),
    entities: req.entities ? [...new Set(req.entities)].sort() : undefined,
    maxPointsPerSecond: req.maxPointsPerSecond,
    state: 'running',
    startedAt: new Date().toISOString(),
    completedAt: undefined,
    lastError: undefined,
    rejected: 0,
    report: emptyReport(),
  };
}

/** One line saying what a job migrates, for the log. */
export function describe(job: JobRecord): string {
  const v = sourceView(job.source);
  const where =
    v.kind === 'influxdb1'
      ? `InfluxDB 1.x ${v.url} database ${v.database}`
      : `InfluxDB 2.x ${v.url} bucket ${v.bucket}`;
  const rate = job.maxPointsPerSecond > 0 ? ` at most ${job.maxPointsPerSecond} points/s` : '';
  return `${where}, ${nsToIso(job.fromNs)} to ${nsToIso(job.toNs)}, ${job.entities ? `${job.entities.length} entities` : 'all entities'}, into the ${job.layout} layout${rate}`;
}
