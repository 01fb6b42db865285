import { sourceView } from '@homeiq/shared';
import type { MigrationStatus } from '@homeiq/shared/contracts';
import { nsToIso } from './ha-schema.js';
import type { JobRecord } from './migration-job.js';
import { entityRows, NOTE_TEXT, noteRows, UNMAPPED_TEXT } from './migration-report.js';

/** The migration's status as `GET /api/migration` answers it, from its record and the current run. */

export interface RunFacts {
  waitingFor: string | undefined;
  /** When the current run started, its progress and the points confirmed then. */
  run: { atMs: number; progress: number; written: number } | undefined;
  /** Points confirmed by InfluxDB since the add-on started (all runs). */
  written: number;
  /** Points of this migration InfluxDB refused since the record was last saved. */
  rejectedUnsaved: number;
  queueBytes: number;
  budgetBytes: number;
  pacedTo: number | undefined;
}

export function progressOf(job: JobRecord): number {
  if (job.state === 'done') return 1;
  const from = BigInt(job.fromNs);
  const span = Number(BigInt(job.toNs) - from);
  return span > 0 ? Math.min(1, Math.max(0, Number(BigInt(job.cursorNs) - from) / span)) : 1;
}

export function buildStatus(job: JobRecord | undefined, f: RunFacts, reportLimit: number): MigrationStatus {
  if (!job)
    return {
      state: 'off',
      waitingFor: undefined,
      source: undefined,
      layout: undefined,
      from: undefined,
      to: undefined,
      reached: undefined,
      progress: 0,
      etaSeconds: undefined,
      entities: undefined,
      maxPointsPerSecond: 0,
      counts: { read: 0, written: 0, unmapped: 0, excluded: 0, rejected: 0 },
      pointsPerSecond: undefined,
      pacedTo: undefined,
      queueBytes: f.queueBytes,
      queueBudgetBytes: f.budgetBytes,
      startedAt: undefined,
      completedAt: undefined,
      lastError: undefined,
      report: [],
      reportTotal: 0,
      unmapped: [],
      notes: [],
    };
  const progress = progressOf(job);
  const working = job.state === 'running' || job.state === 'finishing';
  const waiting = working ? f.waitingFor : undefined;
  const run = working ? f.run : undefined;
  const elapsedS = run ? (Date.now() - run.atMs) / 1000 : 0;
  const gained = run ? progress - run.progress : 0;
  const r = job.report;
  return {
    state: job.state === 'running' && waiting ? 'waiting' : job.state,
    waitingFor: waiting,
    source: sourceView(job.source),
    layout: job.layout,
    from: nsToIso(job.fromNs),
    to: nsToIso(job.toNs),
    reached: nsToIso(job.cursorNs),
    progress,
    etaSeconds:
      job.state === 'running' && run && gained > 0 && elapsedS > 1
        ? Math.max(0, Math.round((elapsedS / gained) * (1 - progress)))
        : undefined,
    entities: job.entities ? [...job.entities] : undefined,
    maxPointsPerSecond: job.maxPointsPerSecond,
    counts: {
      read: r.read,
      written: r.written,
      unmapped: r.unmappedTotal,
      excluded: r.excluded,
      rejected: job.rejected + f.rejectedUnsaved,
    },
    pointsPerSecond: run && elapsedS > 1 ? Math.round((f.written - run.written) / elapsedS) : undefined,
    pacedTo: working && f.pacedTo !== undefined && Number.isFinite(f.pacedTo) ? Math.round(f.pacedTo) : undefined,
    queueBytes: f.queueBytes,
    queueBudgetBytes: f.budgetBytes,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    lastError: job.lastError,
    report: entityRows(r, reportLimit),
    reportTotal: Object.keys(r.entities).length,
    unmapped: noteRows(r.unmapped, UNMAPPED_TEXT),
    notes: noteRows(r.notes, NOTE_TEXT),
  };
}
