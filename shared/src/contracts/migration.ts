/**
 * The migration from an existing InfluxDB (the ingestor's `/api/migration*`, relayed by the admin panel). One
 * declaration for both add-ons and the panel's browser bundle: no imports. Times are ISO 8601 UTC.
 */

/** Entities a migration may be limited to (the panel lists at most this many too). */
export const MIGRATION_MAX_ENTITIES = 5000;

/** The old InfluxDB, without its secret (as status and probe answers show it). */
export type MigrationSourceView =
  | {
      kind: 'influxdb1';
      url: string;
      database: string;
      retentionPolicy: string | undefined;
      username: string | undefined;
    }
  | { kind: 'influxdb2'; url: string; org: string; bucket: string };

/** `POST /api/migration/probe`: what the source holds. */
export interface MigrationProbe {
  source: MigrationSourceView;
  serverVersion: string;
  /** HA's entities found (domain.object_id), sorted, with the measurements they are in. */
  entities: Array<{ entityId: string; measurements: string[] }>;
  /** More entities exist than were listed. */
  truncated: boolean;
  /** Measurements that are not HA's schema (no domain/entity_id tags): never migrated. */
  foreign: Array<{ measurement: string; series: number }>;
  /** Fields stored in several types; each value is read in its own type. */
  mixedTypes: Array<{ measurement: string; field: string; types: string[] }>;
  /** Oldest and newest point of HA's series. */
  first: string | undefined;
  last: string | undefined;
  /** The layout the points will be written in (the ingestor's `ha_compatible` option). */
  layout: 'homeiq' | 'ha_compatible';
}

export type MigrationState = 'off' | 'running' | 'waiting' | 'finishing' | 'done' | 'failed' | 'cancelled';

/** Per entity: what was read from the source and what became of it. */
export interface MigrationEntityReport {
  entityId: string;
  read: number;
  written: number;
  /** Points that could not be mapped (no state or value, a timestamp InfluxDB cannot take). */
  unmapped: number;
  first: string | undefined;
  last: string | undefined;
}

/** One kind of thing the migration could not carry over exactly, with how often and an example. */
export interface MigrationNote {
  kind: string;
  /** What happened, in words for the user. */
  text: string;
  count: number;
  example: string | undefined;
}

export interface MigrationStatus {
  state: MigrationState;
  /** Why it waits (`waiting`), in words: the spool budget, live ingestion catching up, the registries. */
  waitingFor: string | undefined;
  source: MigrationSourceView | undefined;
  layout: 'homeiq' | 'ha_compatible' | undefined;
  from: string | undefined;
  to: string | undefined;
  /** Everything before this is written (or in the migration's spool); a resume continues here. */
  reached: string | undefined;
  /** 0…1, by time covered. */
  progress: number;
  etaSeconds: number | undefined;
  /** Entities asked for; undefined = all of HA's entities in the source (the include/exclude options apply). */
  entities: string[] | undefined;
  maxPointsPerSecond: number;
  counts: {
    /** Points of HA's series read from the source. */
    read: number;
    /** Points InfluxDB confirmed (or refused, see `rejected`). */
    written: number;
    /** Points that could not be mapped (see `unmapped`). */
    unmapped: number;
    /** Points of entities the include/exclude options reject. */
    excluded: number;
    /** Points InfluxDB refused: in the quarantine, with its reason. */
    rejected: number;
  };
  /** Points per second over the current run. */
  pointsPerSecond: number | undefined;
  /** Points per second its writer is held to while live ingestion's writes are slow; undefined: not held back. */
  pacedTo: number | undefined;
  /** Bytes in the migration's own queue not yet confirmed by InfluxDB, and its budget. */
  queueBytes: number;
  queueBudgetBytes: number;
  startedAt: string | undefined;
  completedAt: string | undefined;
  lastError: string | undefined;
  /** Per entity, sorted by entity id: at most `reportLimit` rows here (`GET /api/migration/report` has all). */
  report: MigrationEntityReport[];
  reportTotal: number;
  /** What could not be mapped, and what was approximated. */
  unmapped: MigrationNote[];
  notes: MigrationNote[];
}
