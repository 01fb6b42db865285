// Shapes the add-ons exchange over HTTP, safe for the panel's browser bundle: nothing here imports Node modules.
export { IMPORT_MAX_DAYS, IMPORT_MAX_ENTITIES, type ImportState, type ImportStatus } from './history-import.js';
export type { TaskView } from './influx-tasks.js';
export type { DownsamplingSummary, InfluxdbSummary } from './influxdb-summary.js';
export type { StreamEvent } from './live-stream.js';
export { describeTarget, type TargetDescription } from './ingestor-target.js';
export { ADDON_PORTS } from './addon-ports.js';
export type { TokenGrant } from './token-grant.js';
export {
  MIGRATION_MAX_ENTITIES,
  type MigrationEntityReport,
  type MigrationNote,
  type MigrationProbe,
  type MigrationSourceView,
  type MigrationState,
  type MigrationStatus,
} from './migration.js';
