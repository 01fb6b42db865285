import type { Health, HealthReport } from '@homeiq/shared';
import type { ImportStatus, InfluxdbSummary } from '@homeiq/shared/contracts';
import type { Backfill } from '../backfill/backfill.js';
import type { EventCounter } from '../event-counter.js';
import type { Quarantine } from '../influx/quarantine.js';
import type { InfluxWriter } from '../influx/writer.js';
import type { Spool } from '../spool/spool.js';
import { BacklogAge } from './backlog-age.js';

/** What the HomeIQ InfluxDB add-on said last, or why it could not be asked. */
export type SiblingView = { ok: true; summary: InfluxdbSummary } | { ok: false; error: string };

/** HomeIQ's key figures at one moment: what the entities show and the alerts are judged on. */
export interface Figures {
  at: number;
  /** Events from Home Assistant per second over the rate window (the entities' update interval). */
  eventsPerSecond: number | undefined;
  /** Since the last event from Home Assistant (its `time_fired`); undefined before the first. */
  lastEventAgeS: number | undefined;
  spool: {
    bytes: number;
    maxBytes: number;
    full: boolean;
    oldestUnsentAgeS: number;
    /**
     * `bytes` and `oldestUnsentAgeS` once the oldest unsent point has waited longer than a point on its way does
     * (the flush interval plus 10 s), else 0: a backlog, not the batch in flight. The entities show these.
     */
    settledBytes: number;
    settledAgeS: number;
    commitError: string | undefined;
  };
  quarantine: { count: number; bytes: number; dropped: number };
  writer: { failingSince: string | undefined; lastError: string | undefined };
  /** The ingestor's own checks. */
  health: HealthReport;
  /** The InfluxDB add-on (target auto); undefined with an external InfluxDB. */
  influxdb: SiblingView | undefined;
  import: ImportStatus | undefined;
}

export interface FigureSources {
  counter: Pick<EventCounter, 'counts'>;
  spool: Pick<Spool, 'stats' | 'end' | 'ackCursor'>;
  quarantine: Pick<Quarantine, 'stats'>;
  writer: Pick<InfluxWriter, 'stats'>;
  health: Pick<Health, 'report'>;
  backfill?: Pick<Backfill, 'status'> | undefined;
  spoolMaxBytes: number;
  /** The events/s figure is the average over this long (default 30 s). */
  rateWindowMs?: number;
  /** Option flush_interval_ms: how long a point may wait for its batch in normal operation (default 1000). */
  flushIntervalMs?: number;
}

/** Beyond the flush interval, how long a point on its way may take (a commit, a write under load) before it counts as backlog. */
const IN_FLIGHT_MARGIN_MS = 10_000;

/** Reads the figures from the running parts; cheap (counters and a cursor comparison), taken every second. */
export class FigureSampler {
  readonly #age = new BacklogAge();
  /** (time, events so far) over the rate window, oldest first; one per sample, so bounded by window / interval. */
  #totals: Array<{ at: number; total: number }> = [];

  constructor(private readonly src: FigureSources) {}

  sample(now: number, influxdb: SiblingView | undefined): Figures {
    const s = this.src;
    const events = s.counter.counts();
    const spool = s.spool.stats();
    const writer = s.writer.stats();
    const ageS = this.#age.sample(s.spool.end, s.spool.ackCursor, spool.bytes, now) / 1000;
    // A counter that went back (cannot happen within one process) would give a negative rate: start over.
    if ((this.#totals.at(-1)?.total ?? 0) > events.total) this.#totals = [];
    this.#totals.push({ at: now, total: events.total });
    const span = this.src.rateWindowMs ?? 30_000;
    while (this.#totals.length > 2 && (this.#totals[1] as { at: number }).at <= now - span) this.#totals.shift();
    const oldest = this.#totals[0] as { at: number; total: number };
    const backlog = ageS * 1000 > (this.src.flushIntervalMs ?? 1000) + IN_FLIGHT_MARGIN_MS;
    const last = events.lastEventAt ? Date.parse(events.lastEventAt) : Number.NaN;
    return {
      at: now,
      eventsPerSecond: now > oldest.at ? ((events.total - oldest.total) * 1000) / (now - oldest.at) : undefined,
      lastEventAgeS: Number.isFinite(last) ? Math.max(0, (now - last) / 1000) : undefined,
      spool: {
        bytes: spool.bytes,
        maxBytes: s.spoolMaxBytes,
        full: spool.full,
        oldestUnsentAgeS: ageS,
        settledBytes: backlog ? spool.bytes : 0,
        settledAgeS: backlog ? ageS : 0,
        commitError: spool.commitError,
      },
      quarantine: s.quarantine.stats(),
      writer: { failingSince: writer.failingSince, lastError: writer.lastError },
      health: s.health.report(),
      influxdb,
      import: s.backfill?.status().import,
    };
  }
}
