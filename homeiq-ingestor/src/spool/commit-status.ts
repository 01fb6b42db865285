import type { Backoff, Logger } from '@homeiq/shared';

/**
 * How group commits are going: the error shown (stats, health) while they fail, logged once per distinct error
 * rather than once per retry, and the pauses (between attempts, before a commit), which `wake` cuts short (stop).
 */
export class CommitStatus {
  #error: string | undefined;
  #failingSince: string | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly log: Logger,
    private readonly backoff: Backoff,
    private readonly onChange: ((error: string | undefined) => void) | undefined,
  ) {}

  /** Why commits fail, while they do. */
  get error(): string | undefined {
    return this.#error;
  }

  failed(err: unknown, waiting: number): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.#failingSince ??= new Date().toISOString();
    if (reason === this.#error) return;
    this.#error = reason;
    this.log.error(
      `cannot write to the spool: ${reason}; ${waiting} points wait in memory and are retried ` +
        '(new points are refused once spool_max_mb is reached, and lost if the add-on stops before the disk recovers)',
    );
    this.onChange?.(reason);
  }

  succeeded(): void {
    if (this.#error === undefined) return;
    this.log.warn(
      `writing to the spool again (failing since ${this.#failingSince}); every point waiting in memory is on disk`,
    );
    this.#error = undefined;
    this.#failingSince = undefined;
    this.backoff.reset();
    this.onChange?.(undefined);
  }

  /** Waits out the next backoff delay, or until `wake`. */
  pause(): Promise<void> {
    return this.sleep(this.backoff.next());
  }

  /** Waits `ms`, or until `wake` (a stop does not wait for a commit's delay or a retry pause). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#wake?.(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  wake(): void {
    this.#wake?.();
  }
}

/** Callers of `sync()`, each waiting until the committed count reaches the appended count when it asked. */
export class CommitWaiters {
  /** Targets never decrease (appends only add): the front is always the next to resolve. */
  #list: Array<{ target: number; resolve: () => void; reject: (err: Error) => void }> = [];

  wait(target: number): Promise<void> {
    return new Promise((resolve, reject) => this.#list.push({ target, resolve, reject }));
  }

  committed(count: number): void {
    let n = 0;
    while (n < this.#list.length && (this.#list[n]?.target ?? 0) <= count) n += 1;
    for (const w of this.#list.splice(0, n)) w.resolve();
  }

  fail(err: Error): void {
    for (const w of this.#list.splice(0)) w.reject(err);
  }
}
