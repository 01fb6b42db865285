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
  spool: { bytes: number; maxBytes: number; full: boolean; oldestUnsentAgeS: number; commitError: string | undefined };
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
}

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
    // A counter that went back (cannot happen within one process) would give a negative rate: start over.
    if ((this.#totals.at(-1)?.total ?? 0) > events.total) this.#totals = [];
    this.#totals.push({ at: now, total: events.total });
    const window = this.src.rateWindowMs ?? 30_000;
    while (this.#totals.length > 2 && (this.#totals[1] as { at: number }).at <= now - window) this.#totals.shift();
    const oldest = this.#totals[0] as { at: number; total: number };
    const last = events.lastEventAt ? Date.parse(events.lastEventAt) : Number.NaN;
    return {
      at: now,
      eventsPerSecond: now > oldest.at ? ((events.total - oldest.total) * 1000) / (now - oldest.at) : undefined,
      lastEventAgeS: Number.isFinite(last) ? Math.max(0, (now - last) / 1000) : undefined,
      spool: {
        bytes: spool.bytes,
        maxBytes: s.spoolMaxBytes,
        full: spool.full,
        oldestUnsentAgeS: this.#age.sample(s.spool.end, s.spool.ackCursor, spool.bytes, now) / 1000,
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
