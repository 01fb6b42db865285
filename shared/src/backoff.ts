export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** Injected for tests; Math.random in production. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": half the window is fixed so retries never collapse to zero,
 * the other half is random so many clients restarting together do not retry in lockstep.
 */
export class Backoff {
  #attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  get attempts(): number {
    return this.#attempt;
  }

  /** Delay before the next attempt; `floorMs` (e.g. a server's Retry-After) wins when it is longer. */
  next(floorMs = 0): number {
    const factor = this.opts.factor ?? 2;
    const ceiling = Math.min(this.opts.maxMs, this.opts.initialMs * factor ** this.#attempt);
    this.#attempt += 1;
    const random = this.opts.random ?? Math.random;
    const delay = ceiling / 2 + random() * (ceiling / 2);
    return Math.max(Math.round(delay), floorMs);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
