import type { MigrationSourceConfig } from '@homeiq/shared';

/** What a migration reads from the old InfluxDB and how it talks about it; see influxql-source.ts and flux-source.ts. */

/**
 * The series of some of a window's points: its measurement and tags, and the names of the fields their `values`
 * hold. Shared by the points (a source builds one per series and answer, the InfluxQL answer's `columns` as they
 * are), so a point costs one array.
 */
export interface SourceSeries {
  measurement: string;
  tags: Record<string, string>;
  /** `fields[i]` names `values[i]` of each point; `fields[0]` is the time. */
  fields: readonly string[];
  /** Indexes of fields InfluxDB holds as integers: a number there is written as an integer. */
  ints: ReadonlySet<number>;
  /** `domain.object_id`, or undefined when the tags are not HA's (haEntityId, once per series). */
  entityId: string | undefined;
}

/**
 * One stored point: `values[i]` is the field `series.fields[i]`, a string, number, bigint (an integer beyond 2^53)
 * or boolean in the type InfluxDB holds it in; null or undefined where the point has no such field. `values[0]` is
 * the time as the source printed it (RFC 3339), `timeNs` the same in nanoseconds.
 */
export interface SourcePoint {
  series: SourceSeries;
  values: readonly unknown[];
  timeNs: string;
}

/** A series of HA's schema: a measurement with the tags `domain` and `entity_id`. */
export interface HaSeries {
  measurement: string;
  /** `domain.object_id`. */
  entityId: string;
}

/** Where a measurement's shard groups begin and end: windows never cross one (see windows.ts). */
export interface ShardLayout {
  /** Exact boundaries known from the server (1.x `SHOW SHARDS`), sorted; empty when not known. */
  boundaries: bigint[];
  /** The shard group duration of the retention policy or bucket, for times the boundaries do not cover. */
  durationNs: bigint;
}

/** The source as the probe found it. */
export interface SourceSurvey {
  /** The server's version, as it reports it (`1.8.10`, `v2.7.4`). */
  serverVersion: string;
  /** HA's series, sorted by entity id (bounded by MAX_SERIES; `truncated` says when there were more). */
  series: HaSeries[];
  truncated: boolean;
  /** Measurements without HA's tags, with their series count (HA's integration never writes such). */
  foreign: Array<{ measurement: string; series: number }>;
  /** Fields stored in more than one type, per measurement (`value` → `float`, `string`). */
  mixedTypes: Array<{ measurement: string; field: string; types: string[] }>;
  /** Field types per measurement (1.x: the JSON answer does not tell integers from floats). */
  fieldTypes: Map<string, Map<string, string[]>>;
  shards: ShardLayout;
  /** Oldest and newest point of HA's series (ns), undefined when there is none. */
  firstNs: bigint | undefined;
  lastNs: bigint | undefined;
}

/** A source's answer that ends a step, with what kind of trouble it is (decides retrying). */
export type SourceErrorKind = 'unreachable' | 'auth' | 'not_found' | 'refused' | 'too_big' | 'bad_answer';

export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly kind: SourceErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The entity selection of a window read (`domain.object_id`), or undefined for every entity. */
export interface ReadSelection {
  entities: ReadonlySet<string> | undefined;
}

/** The object ids (the `entity_id` tag: without the domain) of a set of entity ids. */
export function objectIds(entities: Iterable<string>): string[] {
  return [...new Set([...entities].map((id) => id.slice(id.indexOf('.') + 1)))].sort();
}

export interface MigrationSource {
  readonly config: MigrationSourceConfig;
  /**
   * Points a window of this source should hold at most: its answer is read whole and parsed in the ingestor's
   * one thread, so the size bounds how long live ingestion waits behind it.
   */
  readonly windowPoints: number;
  /** Reaches the server, checks the credentials and the database or bucket, and surveys HA's series. */
  survey(): Promise<SourceSurvey>;
  /**
   * HA's points in [startNs, endNs) (within one shard group), of the selected object ids. Throws SourceError
   * `too_big` when the answer exceeds the body bound: the caller asks again for a shorter window.
   */
  read(startNs: bigint, endNs: bigint, selection: ReadSelection, survey: SourceSurvey): Promise<SourcePoint[]>;
}
