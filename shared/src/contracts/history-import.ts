/**
 * The ingestor's history import as its API reports it (`GET /api/import`, `backfill.import` in `/api/status`)
 * and the admin panel shows it. One declaration for both add-ons; no imports, so the panel's browser bundle can
 * take it too (`@homeiq/shared/contracts`). Times are ISO 8601 UTC.
 */
export type ImportState = 'off' | 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

/** Bounds of an import asked for through the API (`POST /api/import`); the admin checks the same before asking. */
export const IMPORT_MAX_DAYS = 3650;
export const IMPORT_MAX_ENTITIES = 1000;

export interface ImportStatus {
  state: ImportState;
  days: number;
  from: string | undefined;
  to: string | undefined;
  /** How far (in HA time) the import got; it resumes from here. */
  reached: string | undefined;
  /** 0…1 */
  progress: number;
  points: number;
  completedAt: string | undefined;
  lastError: string | undefined;
  /** `option`: the first-install import (history_import_days); `request`: asked for through the API (the panel). */
  origin: 'option' | 'request' | undefined;
  /** The entities asked for; undefined = every entity HA has (the include/exclude rules apply). */
  entities: string[] | undefined;
  /** When the current run started, and its estimated seconds left from the pace so far. */
  startedAt: string | undefined;
  etaSeconds: number | undefined;
}
