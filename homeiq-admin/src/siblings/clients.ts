import { type HealthReport, readTokenGrant } from '@homeiq/shared';
import { ADDON_PORTS, type TargetDescription, type TokenGrant } from '@homeiq/shared/contracts';
import * as z from 'zod';
import type { BucketRow, ImportView, Quarantine, TaskRow, TaskRunResult } from '../api-types.js';
import { MigrationClient } from './migration-client.js';
import { SiblingAnswer, type SiblingHttp } from './sibling-http.js';

const INGESTOR_PORT = ADDON_PORTS.ingestorApi;
const MANAGER_PORT = ADDON_PORTS.influxdbManager;

/** The manager's `GET /api/influxql`: the InfluxQL user and the database/retention-policy mappings. */
export interface InfluxqlSetup {
  username: string;
  databases: { database: string; retentionPolicy: string; bucket: string; default: boolean }[];
}

/** The fields of the ingestor's `GET /api/status` the panel reads. */
export interface IngestorStatus {
  homeAssistant: {
    connected: boolean;
    haVersion?: string;
    connects: number;
    reconnects: number;
    lastError?: string;
    /** Frames and messages left out at the edge (not JSON, or without the shape of their type); older ingestors lack them. */
    badFrames?: number;
    invalidMessages?: Record<string, number>;
  };
  events: { total: number; lastEventAt?: string };
  spool: { bytes: number; full: boolean; refused: number };
  writer: {
    written: number;
    lastBatchMs?: number;
    lastError?: string;
    lastSuccessAt?: string;
    failingSince?: string;
    quarantined: number;
  };
  quarantine: { count: number; bytes: number; dropped: number };
  /** Where the points go (older ingestors leave it out: the HomeIQ InfluxDB add-on). */
  target?: TargetDescription;
  health: HealthReport;
}

/**
 * The ingestor's `GET /api/registry/areas`, checked because the names end up in the page. Extra fields are
 * allowed (a newer ingestor may add some); the bounds are far above any home and keep the cache small.
 */
const areasAnswer = z.object({
  areas: z
    .array(
      z.object({
        id: z.string().min(1).max(255),
        name: z.string().min(1).max(1000),
        floor: z.object({ id: z.string().min(1).max(255), name: z.string().min(1).max(1000) }).optional(),
      }),
    )
    .max(10_000),
});
export type AreaInfo = z.infer<typeof areasAnswer>['areas'][number];

/** The ingestor's internal API (status, quarantine, import, migration, area names). */
export class IngestorClient {
  readonly migration: MigrationClient;

  constructor(private readonly http: SiblingHttp) {
    this.migration = new MigrationClient(http);
  }

  status(): Promise<IngestorStatus> {
    return this.http.json('homeiq-ingestor', INGESTOR_PORT, '/api/status', { timeoutMs: 3000 });
  }

  quarantine(limit: number): Promise<Quarantine> {
    return this.http.json('homeiq-ingestor', INGESTOR_PORT, `/api/quarantine?limit=${limit}`);
  }

  /** Spools the points again (all, or the given ids); the ingestor keeps those its full spool refuses. */
  retryQuarantine(ids?: string[]): Promise<{ requeued: number; kept: number }> {
    return this.http.json('homeiq-ingestor', INGESTOR_PORT, '/api/quarantine/retry', {
      method: 'POST',
      body: ids ? { ids } : { all: true },
      timeoutMs: 30_000,
    });
  }

  discardQuarantine(ids?: string[]): Promise<{ discarded: number }> {
    return this.http.json('homeiq-ingestor', INGESTOR_PORT, '/api/quarantine/discard', {
      method: 'POST',
      body: ids ? { ids } : { all: true },
      timeoutMs: 30_000,
    });
  }

  /** The history import's state and progress. */
  importStatus(): Promise<ImportView> {
    return this.http.json('homeiq-ingestor', INGESTOR_PORT, '/api/import', { timeoutMs: 5000 });
  }

  /** Starts (or replaces) a history import of the last `days` days, of `entities` or all. */
  startImport(days: number, entities?: string[]): Promise<ImportView> {
    return this.http.json('homeiq-ingestor', INGESTOR_PORT, '/api/import', {
      method: 'POST',
      body: entities ? { days, entities } : { days },
      timeoutMs: 30_000,
    });
  }

  cancelImport(): Promise<{ cancelled: boolean } & ImportView> {
    return this.http.json('homeiq-ingestor', INGESTOR_PORT, '/api/import', { method: 'DELETE', timeoutMs: 30_000 });
  }

  /** HA's areas with their names. A short timeout: the Entities view waits for it and falls back to ids. */
  async areas(): Promise<AreaInfo[]> {
    const answer = areasAnswer.safeParse(
      await this.http.json<unknown>('homeiq-ingestor', INGESTOR_PORT, '/api/registry/areas', { timeoutMs: 2000 }),
    );
    if (!answer.success)
      throw new SiblingAnswer(
        502,
        `HomeIQ Ingestor answered area names the panel cannot read (${answer.error.issues[0]?.message ?? 'invalid'})`,
      );
    return answer.data.areas;
  }
}

/** The influxdb add-on's manager API. */
export class ManagerClient {
  constructor(private readonly http: SiblingHttp) {}

  health(): Promise<HealthReport> {
    // /health answers 503 with its report when a check is red: that is an answer, not a failure.
    return this.http.json('homeiq-influxdb', MANAGER_PORT, '/health', { timeoutMs: 3000, accept: [503] });
  }

  /** A new read token (`POST /api/tokens`), checked by shape; it revokes the one issued before. */
  async token(): Promise<TokenGrant> {
    return readTokenGrant(
      await this.http.json<unknown>('homeiq-influxdb', MANAGER_PORT, '/api/tokens', {
        method: 'POST',
        body: {},
        timeoutMs: 15_000,
      }),
    );
  }

  async buckets(): Promise<BucketRow[]> {
    const r = await this.http.json<{ buckets: BucketRow[] }>('homeiq-influxdb', MANAGER_PORT, '/api/buckets', {
      timeoutMs: 15_000,
    });
    return r.buckets.map((b) => ({
      name: b.name,
      role: b.role,
      retentionDays: b.retentionDays,
      sizeBytes: b.sizeBytes,
      seriesCardinality: b.seriesCardinality,
    }));
  }

  async setRetention(name: string, retentionDays: number): Promise<BucketRow> {
    return this.http.json('homeiq-influxdb', MANAGER_PORT, `/api/buckets/${encodeURIComponent(name)}`, {
      method: 'PATCH',
      body: { retentionDays },
      timeoutMs: 15_000,
    });
  }

  async tasks(): Promise<TaskRow[]> {
    return (
      await this.http.json<{ tasks: TaskRow[] }>('homeiq-influxdb', MANAGER_PORT, '/api/tasks', { timeoutMs: 10_000 })
    ).tasks;
  }

  runTask(id: string): Promise<TaskRunResult> {
    return this.http.json('homeiq-influxdb', MANAGER_PORT, `/api/tasks/${encodeURIComponent(id)}/run?wait=1`, {
      method: 'POST',
      body: {},
      timeoutMs: 65_000,
    });
  }

  /** The InfluxQL user name and databases (404 from a manager without InfluxQL support). */
  influxql(): Promise<InfluxqlSetup> {
    return this.http.json('homeiq-influxdb', MANAGER_PORT, '/api/influxql', { timeoutMs: 10_000 });
  }

  /** A new password for the read-only InfluxQL user (the previous one stops working). */
  influxqlCredentials(): Promise<{ username: string; password: string } & Record<string, unknown>> {
    return this.http.json('homeiq-influxdb', MANAGER_PORT, '/api/influxql-credentials', {
      method: 'POST',
      body: {},
      timeoutMs: 15_000,
    });
  }

  /** Deletes a bucket HomeIQ no longer uses, with its data (409 for HomeIQ's own buckets). */
  deleteBucket(name: string): Promise<{ deleted: string }> {
    return this.http.json('homeiq-influxdb', MANAGER_PORT, `/api/buckets/${encodeURIComponent(name)}`, {
      method: 'DELETE',
      timeoutMs: 30_000,
    });
  }

  /** A read-only token for Grafana, from the manager endpoint added for it (404 on versions without it). */
  grafanaToken(): Promise<{ token: string } & Record<string, unknown>> {
    return this.http.json('homeiq-influxdb', MANAGER_PORT, '/api/grafana-token', {
      method: 'POST',
      body: {},
      timeoutMs: 15_000,
    });
  }
}
