import type { Logger } from '@homeiq/shared';
import type { IngestorClient, IngestorStatus } from '../siblings/clients.js';

interface Sample {
  at: number;
  total: number;
  lastBatchMs: number | undefined;
}

export interface RateView {
  /** Events per second over the last two samples; undefined until there are two. */
  now: number | undefined;
  /** Events per second between consecutive samples over the last hour, oldest first. */
  samples: number[];
  everyS: number;
  /** Batch write time (the ingestor's last batch at each sample) over the hour. */
  writeP50Ms: number | undefined;
  writeP99Ms: number | undefined;
  latest: IngestorStatus | undefined;
}

/**
 * Samples the ingestor's counters every few seconds and keeps an hour of them: the ingestor reports totals,
 * and rates over time are what a person wants to see. Kept in memory only (the panel keeps no data): after
 * a restart of this add-on the hour fills again.
 */
export class RateSampler {
  readonly name = 'ingestion sampler';
  readonly #samples: Sample[] = [];
  #latest: IngestorStatus | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ingestor: IngestorClient,
    private readonly log: Logger,
    private readonly everyMs = 5000,
    private readonly keepMs = 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
  }

  /** Takes one sample; a failure is logged at debug (the overview reports the ingestor as unreachable). */
  async sample(): Promise<void> {
    try {
      this.record(await this.ingestor.status());
    } catch (err) {
      this.log.debug({ err }, 'cannot sample the ingestor');
    }
  }

  record(s: IngestorStatus): void {
    const at = this.now();
    this.#latest = s;
    const prev = this.#samples.at(-1);
    // A restarted ingestor starts counting from zero again: start a new series rather than a negative rate.
    if (prev && s.events.total < prev.total) this.#samples.length = 0;
    this.#samples.push({ at, total: s.events.total, lastBatchMs: s.writer.lastBatchMs });
    while (this.#samples.length > 0 && at - (this.#samples[0] as Sample).at > this.keepMs) this.#samples.shift();
  }

  view(): RateView {
    const rates: number[] = [];
    for (let i = 1; i < this.#samples.length; i++) {
      const a = this.#samples[i - 1] as Sample;
      const b = this.#samples[i] as Sample;
      const dt = (b.at - a.at) / 1000;
      rates.push(dt > 0 ? (b.total - a.total) / dt : 0);
    }
    const batch = this.#samples
      .map((s) => s.lastBatchMs)
      .filter((v): v is number => v !== undefined)
      .sort((x, y) => x - y);
    const pct = (p: number): number | undefined =>
      batch.length === 0 ? undefined : batch[Math.min(batch.length - 1, Math.floor(p * batch.length))];
    return {
      now: rates.at(-1),
      samples: rates,
      everyS: this.everyMs / 1000,
      writeP50Ms: pct(0.5),
      writeP99Ms: pct(0.99),
      latest: this.#latest,
    };
  }
}
