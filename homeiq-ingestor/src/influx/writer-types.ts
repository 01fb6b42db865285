import type { Backoff, Health, Logger } from '@homeiq/shared';
import type { Spool } from '../spool/spool.js';
import type { Quarantine } from './quarantine.js';
import type { InfluxSender, InfluxTarget } from './send.js';

/** Supplies the target; `invalidate` after a 401 makes the next `get` ask again (auto: a fresh sibling token). */
export interface TargetProvider {
  get(): Promise<InfluxTarget>;
  invalidate(reason: string): void;
}

/** What the writer reads from: the disk spool, or the migration's queue in memory (migrate/memory-queue.ts). */
export type WriterSpool = Pick<Spool, 'read' | 'end' | 'waitForData' | 'ackCursor' | 'ack'>;

export interface WriterOptions {
  spool: WriterSpool;
  sender: InfluxSender;
  target: TargetProvider;
  quarantine: Quarantine;
  health: Health;
  log: Logger;
  batchLines: number;
  batchBytes: number;
  flushIntervalMs: number;
  /** Failing this long turns health red (auth/bucket errors turn it red at once). */
  redAfterMs?: number;
  backoff?: Backoff;
  /**
   * Write requests on the wire at once (default 1). The next batch is always read and gzipped while one is in
   * flight, and acknowledgements are applied strictly in order whatever this is.
   */
  maxInFlight?: number;
  /** While backing off from an unreachable InfluxDB, `GET /ping` this often to resume as soon as it is back. */
  probeEveryMs?: number;
}

export interface WriterStats {
  written: number;
  batches: number;
  requests: number;
  retries: number;
  bisections: number;
  quarantined: number;
  lastError: string | undefined;
  lastSuccessAt: string | undefined;
  lastBatchMs: number | undefined;
  failingSince: string | undefined;
}
