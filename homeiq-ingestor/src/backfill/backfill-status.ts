import type { ImportStatus } from '@homeiq/shared/contracts';

export { IMPORT_MAX_DAYS, IMPORT_MAX_ENTITIES, type ImportState } from '@homeiq/shared/contracts';

/** Read by the HTTP side for `/api/status` (the panel's progress). Times are ISO 8601 UTC. */
export interface BackfillStatus {
  /** What the task for the current connection is doing. */
  phase: 'idle' | 'registries' | 'snapshot' | 'gap' | 'import' | 'done' | 'failed';
  /** HA connection number the phase belongs to. */
  connection: number;
  snapshot: { at: string | undefined; states: number; written: number };
  gap: {
    from: string | undefined;
    windowsDone: number;
    windowsTotal: number;
    points: number;
    completedAt: string | undefined;
    lastError: string | undefined;
  };
  import: ImportStatus;
  skipped: { restartDuplicates: number; alreadyWritten: number };
  refill: RefillStatus;
}

/** The recovery of states the spool refused while it was full (see SpoolRefill). */
export interface RefillStatus {
  /** `idle`: nothing to recover; `pending`: waits for room, for HA's recorder or for the connection; `running`. */
  state: 'idle' | 'pending' | 'running';
  /** HA-time ranges still to recover, oldest first; `to` undefined for the one still open (the spool is full now). */
  pending: Array<{ from: string; to: string | undefined }>;
  /** Seconds of HA time in the closed ranges. */
  pendingSeconds: number;
  /** States written by the refill since the add-on started. */
  recovered: number;
  /** Refill windows stopped because the spool refused a point meanwhile (each retried once it has room). */
  pauses: number;
  /** Refill attempts that failed (HA error, timeout, reply too large), each retried after a pause with a smaller window. */
  failures: number;
  /** The current or last refill run. */
  startedAt: string | undefined;
  completedAt: string | undefined;
  lastError: string | undefined;
}

/** The status before the first connection, with the first-install import pending when `history_import_days` asks for one. */
export function initialStatus(historyImportDays: number): BackfillStatus {
  return {
    phase: 'idle',
    connection: 0,
    snapshot: { at: undefined, states: 0, written: 0 },
    gap: { from: undefined, windowsDone: 0, windowsTotal: 0, points: 0, completedAt: undefined, lastError: undefined },
    import: {
      state: historyImportDays > 0 ? 'pending' : 'off',
      days: historyImportDays,
      from: undefined,
      to: undefined,
      reached: undefined,
      progress: 0,
      points: 0,
      completedAt: undefined,
      lastError: undefined,
      origin: historyImportDays > 0 ? 'option' : undefined,
      entities: undefined,
      startedAt: undefined,
      etaSeconds: undefined,
    },
    skipped: { restartDuplicates: 0, alreadyWritten: 0 },
    refill: {
      state: 'idle',
      pending: [],
      pendingSeconds: 0,
      recovered: 0,
      pauses: 0,
      failures: 0,
      startedAt: undefined,
      completedAt: undefined,
      lastError: undefined,
    },
  };
}
