/**
 * The one polling helper of the tests: waits for something the code under test does in the background (a write,
 * a reconnect, an ack, a server coming up). Everything is bounded: it gives up after `ms` with a message naming
 * what it waited for, the probe's last error or value, and the caller's context (e.g. the tail of a process's log).
 */
export interface UntilOptions {
  /** Give up after this many milliseconds (default 20 000). */
  ms?: number;
  /** Pause between two probes, in milliseconds (default 10). */
  everyMs?: number;
  /** Appended to the timeout message: what helps to understand a failure, e.g. a process's last output lines. */
  context?: () => string | Promise<string>;
  /** Checked before each probe: a reason stops the wait at once (e.g. the process under test exited). */
  abort?: () => string | undefined;
}

/** What `until` resolves with when no `ok` is given: the probe's first value that is not false, null or undefined. */
export type Found<T> = Exclude<Awaited<T>, false | null | undefined>;

/**
 * Polls `probe` until it yields a value other than false, null or undefined (or, with `ok`, a value `ok` accepts)
 * and resolves with that value. A probe that throws counts as "not yet" (a server still starting); its last error
 * is in the timeout message. `opts` may be just the timeout in milliseconds.
 */
export function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  opts: UntilOptions & { ok: (value: Awaited<T>) => boolean },
): Promise<Awaited<T>>;
export function until<T>(what: string, probe: () => T | Promise<T>, opts?: number | UntilOptions): Promise<Found<T>>;
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  opts: number | (UntilOptions & { ok?: (value: Awaited<T>) => boolean }) = {},
): Promise<unknown> {
  const { ms = 20_000, everyMs = 10, context, abort, ok } = typeof opts === 'number' ? { ms: opts } : opts;
  const accept = ok ?? ((v: Awaited<T>) => v !== false && v !== null && v !== undefined);
  const end = Date.now() + ms;
  let last: { value: Awaited<T> } | undefined;
  let lastError: unknown;
  for (;;) {
    const stop = abort?.();
    if (stop !== undefined) throw new Error(`stopped waiting for ${what}: ${stop}${await tail(context)}`);
    try {
      const value = await probe();
      if (accept(value)) return value;
      last = { value };
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      const seen = ok && last ? `; last value: ${show(last.value)}` : '';
      const error =
        lastError === undefined ? '' : `; last error: ${(lastError as Error)?.message ?? String(lastError)}`;
      throw new Error(`timed out after ${ms} ms waiting for ${what}${seen}${error}${await tail(context)}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

async function tail(context: UntilOptions['context']): Promise<string> {
  const text = await context?.();
  return text ? `\n${text}` : '';
}
