import type { Backoff, Health, Logger } from '@homeiq/shared';

/** The health check both the writer and its status report under. */
export const CHECK = 'influxdb-writes';

export interface WriteStatusStats {
  retries: number;
  lastError: string | undefined;
  lastSuccessAt: string | undefined;
  failingSince: string | undefined;
}

export interface WriteStatusOptions {
  health: Health;
  log: Logger;
  backoff: Backoff;
  /** Failing this long turns health red (configuration errors turn it red at once). */
  redAfterMs: number;
  /** While backing off from an unreachable InfluxDB, probe this often. */
  probeEveryMs: number;
  /** Is InfluxDB answering `GET /ping`? (false on any error) */
  ping(): Promise<boolean>;
  /** The writer's sleep, which ends early when the writer stops. */
  sleep(ms: number): Promise<void>;
  stopped(): boolean;
}

/**
 * How writing to InfluxDB is going, for every request the writer has in flight: the health check, the log lines
 * (one per change of error, not one per retry), and the one backoff pause that all failing requests wait out
 * together, ended early by a `/ping` probe when InfluxDB comes back.
 */
export class WriteStatus {
  readonly #stats: WriteStatusStats = { retries: 0, lastError: undefined, lastSuccessAt: undefined, failingSince: undefined };
  /** The backoff pause every failing request waits out (one pause, however many requests are in flight). */
  #pause: Promise<void> | undefined;
  /** The last pause ended early on a successful probe: the next one needs to see InfluxDB down first. */
  #probeWoke = false;

  constructor(private readonly opts: WriteStatusOptions) {}

  stats(): WriteStatusStats {
    return { ...this.#stats };
  }

  /** Resolves when no backoff pause is running (at once when none is). */
  async pauseOver(): Promise<void> {
    if (this.#pause) await this.#pause;
  }

  /** InfluxDB answered a request (written, or rejected for its content): it is up. */
  succeeded(): void {
    this.opts.backoff.reset();
    this.#probeWoke = false;
    if (this.#stats.failingSince) this.opts.log.info(`writing to InfluxDB again (failing since ${this.#stats.failingSince})`);
    this.#stats.failingSince = undefined;
    this.#stats.lastError = undefined;
    this.#stats.lastSuccessAt = new Date().toISOString();
    this.opts.health.set(CHECK, 'green', 'writing to InfluxDB');
  }

  /**
   * A request failed for `reason`: updates health (red at once for `config` errors, after `redAfterMs`
   * otherwise) and waits out the shared backoff pause (at least `retryAfterMs`; probing `/ping` when `probe`).
   */
  async failed(reason: string, config: boolean, retryAfterMs = 0, retryable = true, probe = false): Promise<void> {
    this.#stats.retries += 1;
    const first = this.#stats.failingSince === undefined;
    this.#stats.failingSince ??= new Date().toISOString();
    const failingMs = Date.now() - Date.parse(this.#stats.failingSince);
    if (first || reason !== this.#stats.lastError) {
      this.opts.log.warn(`${reason}; points stay in the spool and are retried${retryable ? '' : ' (unexpected status)'}`);
    }
    this.#stats.lastError = reason;
    const red = config || failingMs >= this.opts.redAfterMs;
    this.opts.health.set(
      CHECK,
      red ? 'red' : 'amber',
      reason,
      config ? 'Check the InfluxDB target options (URL, organisation, bucket, token)' : 'Points are kept in the spool and sent when InfluxDB answers',
    );
    this.#pause ??= this.#backOff(this.opts.backoff.next(retryAfterMs), probe).finally(() => {
      this.#pause = undefined;
    });
    await this.#pause;
  }

  /**
   * Waits `delayMs` (jittered backoff, Retry-After already folded in). When InfluxDB was unreachable, probes
   * `/ping` every `probeEveryMs` meanwhile and ends the wait as soon as it answers again. A failure that a
   * probe-ended wait led to does not trust the next good probe at once (InfluxDB may answer /ping and still fail
   * writes): that wait first has to see a failed probe, so a broken-but-pingable InfluxDB gets the full backoff.
   */
  async #backOff(delayMs: number, probe: boolean): Promise<void> {
    const every = this.opts.probeEveryMs;
    const end = Date.now() + delayMs;
    let sawDown = !this.#probeWoke;
    this.#probeWoke = false;
    while (!this.opts.stopped()) {
      const left = end - Date.now();
      if (left <= 0) return;
      if (!probe || left <= every) {
        await this.opts.sleep(left);
        continue;
      }
      await this.opts.sleep(every);
      if (this.opts.stopped()) return;
      const up = await this.opts.ping();
      if (up && sawDown) {
        this.#probeWoke = true;
        return;
      }
      if (!up) sawDown = true;
    }
  }
}
