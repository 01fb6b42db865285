/** Outcome of a read that may fail: the panel shows the failure instead of the value. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/**
 * A value read at most once per `ttlMs`; concurrent callers share the read in flight. Failures are kept for
 * a shorter time than values, so a sibling coming back shows up quickly.
 */
export class Cached<T> {
  #at = -Infinity;
  #outcome: Outcome<T> | undefined;
  #inflight: Promise<Outcome<T>> | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly failureTtlMs = Math.min(ttlMs, 2000),
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<Outcome<T>> {
    const o = this.#outcome;
    if (o && this.now() - this.#at < (o.ok ? this.ttlMs : this.failureTtlMs)) return Promise.resolve(o);
    this.#inflight ??= this.read()
      .then(
        (value): Outcome<T> => ({ ok: true, value }),
        (error: unknown): Outcome<T> => ({
          ok: false,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
      )
      .then((outcome) => {
        this.#outcome = outcome;
        this.#at = this.now();
        this.#inflight = undefined;
        return outcome;
      });
    return this.#inflight;
  }

  /** Forget the value, e.g. after a change the next read must show. */
  invalidate(): void {
    this.#outcome = undefined;
  }
}
