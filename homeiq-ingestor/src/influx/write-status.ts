import type { Backoff, Health, Logger } from '@homeiq/shared';
import type { WriteResponse } from './send.js';

/** The health check both the writer and its status report under. */
export const CHECK = 'influxdb-writes';

/**
 * The longest Retry-After honoured: a server (or a proxy in front of it) asking for hours or days would stall
 * writing, and the spool with it, for that long; past 15 minutes we ask again rather than trust it.
 */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/** How a request failed, beyond its reason. */
export interface Failure {
  /** Red at once, with this hint: something the user must fix (configuration, the data disk). */
  fixHint?: string | undefined;
  /** The server's Retry-After: no request goes out before it has passed (capped at MAX_RETRY_AFTER_MS). */
  retryAfterMs?: number | undefined;
  /** false for a status we do not expect (retried all the same, and logged as unexpected). */
  retryable?: boolean;
  /** InfluxDB looks unreachable: probe `/ping` during the pause to resume as soon as it answers. */
  probe?: boolean;
}

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

const RETRYABLE = (s: number): boolean => s === 408 || s === 429 || s >= 500;
/** InfluxDB refused the content of these lines (docs/INFLUXDB.md): split to find them. */
const CONTENT = new Set([400, 413, 422]);
/** Configuration problems the user must fix; we keep spooling meanwhile. */
const CONFIG = new Set([401, 403, 404]);
/** InfluxDB (or the proxy in front of it) is not there: worth probing `/ping` to come back early. */
const GONE = new Set([502, 503, 504]);
const CONFIG_HINT = {
  v2: 'Check the InfluxDB target options (URL, organisation, bucket, token)',
  v1: 'Check the InfluxDB target options (URL, database, retention policy, user name, password)',
};
/** What a configuration answer means, per API: InfluxDB 2.x (or 1.8's compatibility API) and 1.x `/write`. */
const CONFIG_WHAT = {
  v2: { 401: 'token rejected', 403: 'token may not write to the bucket', 404: 'bucket or organisation not found' },
  v1: { 401: 'user name or password rejected', 403: 'user may not write to the database', 404: 'database not found' },
} as const;

/**
 * What an answer to a write means (docs/INFLUXDB.md): written, content rejected, or a failure to retry. `api`
 * is the target's: InfluxDB 1.x answers a retention policy that does not exist with 500, which no retry fixes.
 */
export function judge(
  res: WriteResponse,
  api: 'v1' | 'v2' = 'v2',
): { kind: 'written' } | { kind: 'rejected' } | { kind: 'failed'; reason: string; failure: Failure } {
  if (res.status === 204 || res.status === 200 || res.status === 201) return { kind: 'written' };
  if (CONTENT.has(res.status)) return { kind: 'rejected' };
  if (CONFIG.has(res.status)) {
    const what = CONFIG_WHAT[api][res.status as 401 | 403 | 404];
    return {
      kind: 'failed',
      reason: `InfluxDB answered ${res.status} (${what}): ${res.message}`,
      failure: { fixHint: CONFIG_HINT[api] },
    };
  }
  if (res.status === 500 && /retention policy not found/.test(res.message)) {
    return {
      kind: 'failed',
      reason: `InfluxDB answered ${res.status} (retention policy not found): ${res.message}`,
      failure: { fixHint: CONFIG_HINT.v1 },
    };
  }
  const gone = GONE.has(res.status) && res.retryAfterMs === undefined;
  return {
    kind: 'failed',
    reason: `InfluxDB answered ${res.status}: ${res.message}`,
    failure: { retryAfterMs: res.retryAfterMs, retryable: RETRYABLE(res.status), probe: gone },
  };
}

/**
 * How writing to InfluxDB is going, for every request the writer has in flight: the health check, the log lines
 * (one per change of error, not one per retry), and the one backoff pause that all failing requests wait out
 * together, ended early by a `/ping` probe when InfluxDB comes back.
 */
export class WriteStatus {
  readonly #stats: WriteStatusStats = {
    retries: 0,
    lastError: undefined,
    lastSuccessAt: undefined,
    failingSince: undefined,
  };
  /** The backoff pause every failing request waits out (one pause, however many requests are in flight). */
  #pause: Promise<void> | undefined;
  /** The last pause ended early on a successful probe: the next one needs to see InfluxDB down first. */
  #probeWoke = false;
  /** The latest Retry-After deadline (epoch ms): a pause lasts at least until then, probe or not (once past, it is inert). */
  #notBefore = 0;

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
    if (this.#stats.failingSince)
      this.opts.log.info(`writing to InfluxDB again (failing since ${this.#stats.failingSince})`);
    this.#stats.failingSince = undefined;
    this.#stats.lastError = undefined;
    this.#stats.lastSuccessAt = new Date().toISOString();
    this.opts.health.set(CHECK, 'green', 'writing to InfluxDB');
  }

  /**
   * A request failed for `reason`: updates health (red at once with `fixHint`, after `redAfterMs` otherwise)
   * and waits out the shared backoff pause. A Retry-After holds that pause until it has passed, also when the
   * pause was already running for another request (then it is extended); `probe` lets `/ping` end it early.
   */
  async failed(reason: string, f: Failure = {}): Promise<void> {
    this.#stats.retries += 1;
    const first = this.#stats.failingSince === undefined;
    this.#stats.failingSince ??= new Date().toISOString();
    const failingMs = Date.now() - Date.parse(this.#stats.failingSince);
    if (first || reason !== this.#stats.lastError) {
      this.opts.log.warn(
        `${reason}; points stay in the spool and are retried${f.retryable === false ? ' (unexpected status)' : ''}`,
      );
    }
    this.#stats.lastError = reason;
    const red = f.fixHint !== undefined || failingMs >= this.opts.redAfterMs;
    this.opts.health.set(
      CHECK,
      red ? 'red' : 'amber',
      reason,
      f.fixHint ?? 'Points are kept in the spool and sent when InfluxDB answers',
    );
    const retryAfterMs = Math.min(Math.max(f.retryAfterMs ?? 0, 0), MAX_RETRY_AFTER_MS);
    if (retryAfterMs > 0) this.#notBefore = Math.max(this.#notBefore, Date.now() + retryAfterMs);
    let delayMs = this.opts.backoff.next(retryAfterMs);
    for (;;) {
      this.#pause ??= this.#backOff(delayMs, f.probe ?? false).finally(() => {
        this.#pause = undefined;
      });
      await this.#pause;
      // A pause that was already ending when this request joined it does not know its Retry-After: wait out the rest.
      if (this.opts.stopped() || Date.now() >= this.#notBefore) return;
      delayMs = 0;
    }
  }

  /**
   * Waits `delayMs` (jittered backoff, Retry-After already folded in), and at least until the latest Retry-After
   * deadline of any request that joined meanwhile. When InfluxDB was unreachable, probes
   * `/ping` every `probeEveryMs` meanwhile and ends the wait as soon as it answers again (never before that
   * deadline: a server that asked us to wait is up, so a good probe says nothing). A failure that a
   * probe-ended wait led to does not trust the next good probe at once (InfluxDB may answer /ping and still fail
   * writes): that wait first has to see a failed probe, so a broken-but-pingable InfluxDB gets the full backoff.
   */
  async #backOff(delayMs: number, probe: boolean): Promise<void> {
    const every = this.opts.probeEveryMs;
    const backoffEnd = Date.now() + delayMs;
    let sawDown = !this.#probeWoke;
    this.#probeWoke = false;
    while (!this.opts.stopped()) {
      // Re-read every turn: a request joining the pause may have pushed its Retry-After deadline further out.
      const left = Math.max(backoffEnd, this.#notBefore) - Date.now();
      if (left <= 0) return;
      if (!probe || left <= every) {
        await this.opts.sleep(left);
        continue;
      }
      await this.opts.sleep(every);
      if (this.opts.stopped()) return;
      const up = await this.opts.ping();
      if (up && sawDown && Date.now() >= this.#notBefore) {
        this.#probeWoke = true;
        return;
      }
      if (!up) sawDown = true;
    }
  }
}
