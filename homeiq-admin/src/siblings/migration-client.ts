import type { MigrationStartRequest, MigrationSourceConfig } from '@homeiq/shared';
import type { MigrationProbe, MigrationStatus } from '@homeiq/shared/contracts';
import { ADDON_PORTS } from '@homeiq/shared/contracts';
import type { SiblingHttp } from './sibling-http.js';

/** A probe or a start surveys the source (series, field types, time extent): a big database takes a while. */
const SURVEY_TIMEOUT_MS = 180_000;

/** The ingestor's migration API (`/api/migration*`): the admin relays the panel's requests to it. */
export class MigrationClient {
  constructor(private readonly http: SiblingHttp) {}

  status(): Promise<MigrationStatus> {
    return this.http.json('homeiq-ingestor', ADDON_PORTS.ingestorApi, '/api/migration', { timeoutMs: 5000 });
  }

  report(): Promise<Pick<MigrationStatus, 'report' | 'unmapped' | 'notes'>> {
    return this.http.json('homeiq-ingestor', ADDON_PORTS.ingestorApi, '/api/migration/report', { timeoutMs: 15_000 });
  }

  probe(source: MigrationSourceConfig): Promise<MigrationProbe> {
    return this.http.json('homeiq-ingestor', ADDON_PORTS.ingestorApi, '/api/migration/probe', {
      method: 'POST',
      body: { source },
      timeoutMs: SURVEY_TIMEOUT_MS,
    });
  }

  start(req: MigrationStartRequest): Promise<MigrationStatus> {
    return this.http.json('homeiq-ingestor', ADDON_PORTS.ingestorApi, '/api/migration', {
      method: 'POST',
      body: req,
      timeoutMs: SURVEY_TIMEOUT_MS,
    });
  }

  resume(): Promise<MigrationStatus> {
    return this.http.json('homeiq-ingestor', ADDON_PORTS.ingestorApi, '/api/migration/resume', {
      method: 'POST',
      body: {},
      timeoutMs: 30_000,
    });
  }

  cancel(): Promise<{ cancelled: boolean; migration: MigrationStatus }> {
    return this.http.json('homeiq-ingestor', ADDON_PORTS.ingestorApi, '/api/migration', {
      method: 'DELETE',
      timeoutMs: 60_000,
    });
  }
}
