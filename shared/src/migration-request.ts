import * as z from 'zod';
import { MIGRATION_MAX_ENTITIES, type MigrationSourceView } from './contracts/migration.js';

/**
 * The bodies of the migration API (ingestor `/api/migration*`, relayed by the admin panel), checked by shape at
 * both edges with the same schemas. Secrets (password, token) travel only in these bodies: they are never
 * part of an answer (see `sourceView`).
 */

const url = z
  .url('must be an http(s) URL such as http://a0d7b954-influxdb:8086')
  .max(2048)
  .refine((u) => /^https?:\/\//i.test(u), 'must start with http:// or https://');
const name = z.string().min(1).max(255);

export const migrationSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('influxdb1'),
    url,
    database: name,
    /** Empty: the database's default retention policy. */
    retentionPolicy: name.optional(),
    username: name.optional(),
    password: z.string().max(1024).optional(),
  }),
  z.strictObject({ kind: z.literal('influxdb2'), url, org: name, bucket: name, token: z.string().min(1).max(1024) }),
]);

export type MigrationSourceConfig = z.infer<typeof migrationSourceSchema>;

const entityId = z
  .string()
  .regex(/^[a-z0-9_]{1,64}\.[a-z0-9_]{1,255}$/, 'must be an entity id such as sensor.kitchen_temperature');
const time = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time such as 2024-01-31T00:00:00Z' });

/** `POST /api/migration/probe` */
export const migrationProbeSchema = z.strictObject({ source: migrationSourceSchema });

/** `POST /api/migration`: the source, a time range (default: all it holds) and an entity selection (default: all). */
export const migrationStartSchema = z.strictObject({
  source: migrationSourceSchema,
  from: time.optional(),
  to: time.optional(),
  entities: z.array(entityId).min(1).max(MIGRATION_MAX_ENTITIES).optional(),
  /** 0: as fast as live ingestion leaves room for (the default); otherwise at most this many points per second. */
  maxPointsPerSecond: z.number().int().min(0).max(10_000_000).default(0),
});

export type MigrationStartRequest = z.infer<typeof migrationStartSchema>;

/** The source without its secret. */
export function sourceView(s: MigrationSourceConfig): MigrationSourceView {
  return s.kind === 'influxdb1'
    ? {
        kind: 'influxdb1',
        url: s.url,
        database: s.database,
        retentionPolicy: s.retentionPolicy,
        username: s.username,
      }
    : { kind: 'influxdb2', url: s.url, org: s.org, bucket: s.bucket };
}
