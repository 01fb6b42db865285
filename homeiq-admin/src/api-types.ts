/**
 * The panel's JSON API (`/api/*` under the ingress prefix), shared by the server and the browser bundle.
 * Types only: the browser build imports this file for its types and nothing else.
 */
import type { HealthReport, HealthStatus } from '@homeiq/shared';
import type { ImportStatus, StreamEvent, TaskView } from '@homeiq/shared/contracts';

/** One line on the overview: a status light with the reason and, when there is one, what to do. */
export interface Check {
  id: string;
  title: string;
  status: HealthStatus;
  reason: string;
  hint?: string;
  /** Facts shown under the reason, e.g. `['version', '2026.11.2']`. */
  facts: Array<[string, string]>;
}

/** A sibling the panel could not reach, and why, in words for the user. */
export interface Problem {
  sibling: 'homeiq-ingestor' | 'homeiq-influxdb';
  what: string;
  why: string;
}

export interface Overview {
  generatedAt: string;
  status: HealthStatus;
  checks: Check[];
  /** Events per second, one sample every `rateEveryS` seconds over the last hour (oldest first). */
  rate: { everyS: number; samples: number[] };
  problems: Problem[];
}

export interface SiblingSummary {
  slug: string;
  installed: boolean;
  state: string | undefined;
  version: string | undefined;
  health: HealthReport | undefined;
  problem: string | undefined;
}

export interface BucketRow {
  name: string;
  role: 'raw' | 'downsampled' | 'other';
  retentionDays: number;
  sizeBytes: number | null;
  seriesCardinality: number | null;
}

/** A downsampling task, as the influxdb add-on lists it. */
export type TaskRow = TaskView;

export interface MeasurementRow {
  measurement: string;
  series: number;
}

export interface Storage {
  buckets: BucketRow[] | null;
  tasks: TaskRow[] | null;
  /** Series written in the last `topWindow`, by measurement, largest first. */
  top: MeasurementRow[] | null;
  topWindow: string;
  problems: Problem[];
  /** Set when the ingestor writes to an external InfluxDB: where the data is, in a sentence (see elsewhere.ts). */
  elsewhere: string | null;
}

export interface TaskRunResult {
  id: string;
  status: string;
  durationMs: number | null;
}

export interface EntityRow {
  entityId: string;
  domain: string;
  lastState: string;
  lastChange: string;
  /** Points in the raw bucket over `window`. */
  events: number;
  unit: string | undefined;
  /**
   * The `area` tag of the last change: the area **id** the ingestor records (`living_room`); ids survive a
   * rename, so the area filter and queries use them. Undefined: no area.
   */
  area: string | undefined;
  /**
   * What the panel shows for `area`: its name from HA's area registry (`Living room`, through the ingestor's
   * `/api/registry/areas`), or the id when the name is unknown (ingestor down, an area deleted since). Undefined
   * exactly when `area` is.
   */
  areaName: string | undefined;
}

export interface Entities {
  window: string;
  entities: EntityRow[];
  /** What could not be read, e.g. the area names when the ingestor is down (the rows then show area ids). */
  problems: Problem[];
  /** Set when the ingestor writes to an external InfluxDB: where the data is, in a sentence (see elsewhere.ts). */
  elsewhere: string | null;
}

export const RANGES = ['1h', '6h', '24h', '7d', '30d', '1y'] as const;
export type RangeName = (typeof RANGES)[number];

export interface Series {
  entityId: string;
  range: RangeName;
  /** Which bucket answered and how it was aggregated, in words. */
  source: { bucket: string; field: string; aggregate: string | undefined; note: string | undefined };
  /** Unix seconds and values, for the chart. */
  times: number[];
  values: Array<number | null>;
  /** Text states when the entity has no numeric value (a switch without value, a select). */
  states: Array<{ time: string; state: string }>;
  unit: string | undefined;
}

/** An entity id as the API takes it: `domain.object_id` in HA's characters. */
export const ENTITY_ID = /^[a-z0-9_]{1,64}\.[a-z0-9_]{1,255}$/;

/** Explore: an entity with data in the HomeIQ buckets, for the picker (search and what is drawn how). */
export interface ExploreEntity {
  entityId: string;
  /** HA's `friendly_name` of the newest state, when the points carry it. */
  name: string | undefined;
  domain: string;
  /** Area and floor ids of the newest point (the ingestor's tags), and their names from HA when known. */
  area: string | undefined;
  areaName: string | undefined;
  floor: string | undefined;
  floorName: string | undefined;
  /** Label ids (the ingestor's `labels` tag). */
  labels: string[];
  deviceClass: string | undefined;
  unit: string | undefined;
  /** `number`: a line on its unit's axis; `state`: a timeline band (HA's rule: a unit, or a numeric state). */
  kind: 'number' | 'state';
  /** Unix ms of the oldest point in any HomeIQ bucket (for the range "all") and of the newest raw point. */
  first: number;
  last: number;
}

export interface ExploreCatalog {
  entities: ExploreEntity[];
  problems: Problem[];
  /** Set when the ingestor writes to an external InfluxDB: where the data is, in a sentence (see elsewhere.ts). */
  elsewhere: string | null;
}

/** Where Explore reads: chosen from the range and the chart's width (`auto`), or as the user overrides. */
export const EXPLORE_SOURCES = ['auto', 'raw', '5m', '1h'] as const;
export type ExploreSource = (typeof EXPLORE_SOURCES)[number];
export const EXPLORE_MAX_ENTITIES = 50;
/** Stored points returned per entity when the user asks for no aggregation. */
export const EXPLORE_MAX_POINTS = 20_000;

export interface ExplorePlan {
  source: 'raw' | '5m' | '1h';
  bucket: string;
  /** `value` in the raw bucket, `mean` in a summary bucket. */
  field: string;
  /** The aggregation window (a Flux duration such as `1d`); undefined: the stored points themselves. */
  every: string | undefined;
  /** Whether the source and the window were chosen automatically. */
  auto: boolean;
  /** In words, for the chart's caption. */
  label: string;
}

/** A numeric series. Times are Unix **microseconds** (HA's precision, exact as integers in a double). */
export interface ExploreSeries {
  entityId: string;
  unit: string | undefined;
  times: number[];
  values: number[];
  /** What the server had to do for this entity (e.g. raw data where the summaries have none). */
  notes: string[];
  truncated: boolean;
}

/** A timeline band: state from `times[i]` until the next time (or the range's end). Times in Unix µs. */
export interface ExploreBand {
  entityId: string;
  times: number[];
  states: string[];
  truncated: boolean;
}

export interface ExploreResult {
  /** The range, Unix ms. */
  start: number;
  end: number;
  plan: ExplorePlan;
  series: ExploreSeries[];
  bands: ExploreBand[];
  /** The previous period of the same length, its times shifted by `shiftMs` onto this range. */
  previous: { start: number; end: number; shiftMs: number; series: ExploreSeries[] } | undefined;
  tookMs: number;
}

export const QUERY_LANGUAGES = ['flux', 'influxql'] as const;
export type QueryLanguage = (typeof QUERY_LANGUAGES)[number];
/** The query console's bounds (the server enforces them; the panel offers them). */
export const QUERY_LIMITS = {
  maxQueryChars: 20_000,
  defaultRows: 1000,
  maxRows: 10_000,
  defaultTimeoutS: 30,
  maxTimeoutS: 120,
} as const;

export interface QueryTable {
  /** The yield's (Flux) or statement's (InfluxQL) name, and the table's number or series name. */
  result: string;
  table: string;
  /** `type` as InfluxDB annotates it (`double`, `string`, `dateTime:RFC3339`, …); `group`: part of the group key. */
  columns: Array<{ name: string; type: string; group: boolean }>;
  rows: string[][];
}

/** What the console offers: the buckets to start from, and its limits. */
export interface QueryInfo {
  /** Set when the ingestor writes to an external InfluxDB, which the console does not reach. */
  elsewhere: string | null;
  buckets: string[];
  /** InfluxQL databases (`SHOW DATABASES`; empty when InfluxDB could not say) and the one used by default. */
  databases: string[];
  defaultDatabase: string;
  languages: QueryLanguage[];
  limits: typeof QUERY_LIMITS;
}

export interface QueryAnswer {
  language: QueryLanguage;
  tables: QueryTable[];
  rows: number;
  /** Why the answer was cut (row or size limit), or undefined when it is whole. */
  truncated: string | undefined;
  tookMs: number;
}

export interface QuarantineEntry {
  id: string;
  at: string;
  status: number;
  reason: string;
  line: string;
}

export interface Quarantine {
  count: number;
  bytes: number;
  dropped: number;
  entries: QuarantineEntry[];
}

export interface ImportView {
  import: ImportStatus;
  /** Whether the ingestor is connected to Home Assistant (an import runs only then). */
  connected: boolean;
}

/** Bounds of an import started from the panel (the ingestor checks the same). */
export { IMPORT_MAX_DAYS, IMPORT_MAX_ENTITIES } from '@homeiq/shared/contracts';
/** The ingestor's history import (its `GET /api/import`), as the History import view shows it. */
export type { ImportStatus };

/** One event of the live stream (the ingestor's compact form). */
export type LiveEvent = StreamEvent;

export interface GrafanaInfo {
  url: string;
  hostPortNote: string;
  org: string | undefined;
  buckets: string[];
  /** Whether the influxdb add-on can issue a read-only token for Grafana. */
  tokenAvailable: boolean;
  tokenNote: string;
  example: string;
  /** The InfluxQL data source's settings; null from a HomeIQ InfluxDB without InfluxQL support. */
  influxql: {
    username: string;
    database: string;
    /** Retention policies of that database: `autogen` (raw), `5m`, `1h` (summaries). */
    retentionPolicies: string[];
    example: string;
  } | null;
}

export interface ApiError {
  error: string;
  details?: unknown;
}

/** The migration from an existing InfluxDB (the ingestor's `/api/migration*`, relayed), for the Migrate view. */
export {
  MIGRATION_MAX_ENTITIES,
  type MigrationNote,
  type MigrationProbe,
  type MigrationStatus,
} from '@homeiq/shared/contracts';
