import type { Logger, Service } from '@homeiq/shared';

/** The counters telemetry reads (the same objects /metrics reads). */
export interface TelemetrySources {
  counter: { counts(): { total: number } };
  ha: { stats(): { reconnects: number; connected: boolean } };
  spool: { stats(): { bytes: number; refused: number } };
  writer: { stats(): { written: number; quarantined: number } };
}

export interface SelfTelemetryOptions {
  sources: TelemetrySources;
  /** The normal ingestion path: the spool's append (durable, then written by the writer). */
  append(line: string): boolean;
  intervalMs: number;
  log: Logger;
  /** How often the spool is looked at to measure `lag_ms`. */
  probeMs?: number;
  now?: () => number;
}

export const TELEMETRY_MEASUREMENT = 'homeiq_ingestor';

/**
 * Self-telemetry: every `intervalMs` one point in measurement `homeiq_ingestor` (fields documented in DOCS.md
 * "Self-telemetry"), appended to the spool like any other point, so it survives outages and reaches InfluxDB the
 * same way. Integer fields always carry `i` and the boolean is a boolean, so their types never change.
 *
 * `lag_ms`: 0 while the spool holds nothing unsent; otherwise how long it has not been empty (resolution
 * `probeMs`), i.e. an upper bound for how long the oldest waiting point has waited.
 */
export class SelfTelemetry implements Service {
  readonly name = 'self-telemetry';
  #timer: NodeJS.Timeout | undefined;
  #probe: NodeJS.Timeout | undefined;
  #lastEmptyAt: number;
  #sent = 0;

  constructor(private readonly opts: SelfTelemetryOptions) {
    this.#lastEmptyAt = this.#now();
  }

  #now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Records whether the spool is empty now (lag reference). */
  probe(): void {
    if (this.opts.sources.spool.stats().bytes === 0) this.#lastEmptyAt = this.#now();
  }

  lagMs(): number {
    return this.opts.sources.spool.stats().bytes === 0 ? 0 : Math.max(0, this.#now() - this.#lastEmptyAt);
  }

  /** The line for now. */
  line(): string {
    const { counter, ha, spool, writer } = this.opts.sources;
    const h = ha.stats();
    const s = spool.stats();
    const w = writer.stats();
    this.probe();
    const fields = [
      `received=${counter.counts().total}i`,
      `written=${w.written}i`,
      `quarantined=${w.quarantined}i`,
      `spool_bytes=${s.bytes}i`,
      `refused=${s.refused}i`,
      `lag_ms=${this.lagMs()}i`,
      `reconnects=${h.reconnects}i`,
      `ha_connected=${h.connected ? 'true' : 'false'}`,
    ];
    return `${TELEMETRY_MEASUREMENT} ${fields.join(',')} ${BigInt(Math.round(this.#now())) * 1_000_000n}`;
  }

  async start(): Promise<void> {
    if (this.opts.intervalMs <= 0) return;
    this.#probe = setInterval(() => this.probe(), this.opts.probeMs ?? 1000).unref();
    this.#timer = setInterval(() => {
      if (this.opts.append(this.line())) this.#sent += 1;
    }, this.opts.intervalMs).unref();
    this.opts.log.info(
      `writing self-telemetry (measurement ${TELEMETRY_MEASUREMENT}) every ${this.opts.intervalMs / 1000} s`,
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#probe);
    this.#timer = undefined;
    this.#probe = undefined;
  }

  stats(): { points: number } {
    return { points: this.#sent };
  }
}
