import type { HealthReport } from '../health.js';

/**
 * `GET /api/summary` on the influxdb add-on's manager API (ingestor and admin siblings): the few figures the
 * ingestor shows in Home Assistant as entities and notifications, cheap enough to ask for every minute.
 */
export interface InfluxdbSummary {
  health: HealthReport;
  /** influxd's version, e.g. `2.9.1` (empty while it has not answered yet). */
  version: string;
  /** Bytes of InfluxDB's storage engine on disk: TSM files, index and WAL of every bucket (null if unreadable). */
  diskBytes: number | null;
  /** The HomeIQ downsampling tasks; null while InfluxDB is not set up. */
  downsampling: DownsamplingSummary | null;
}

export interface DownsamplingSummary {
  tasks: number;
  /** Tasks whose last run failed. */
  failed: number;
  /** The most recent completed run over all tasks (InfluxDB's `latestCompleted`), and its task and status. */
  lastRunAt: string | null;
  lastRunTask: string | null;
  lastRunStatus: string | null;
}
