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
