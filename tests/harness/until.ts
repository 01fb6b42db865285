/**
 * Polls `cond` every `everyMs` until it holds; throws `timed out waiting for <what>` after `ms`. For tests that
 * wait on something the code under test does in the background (a write, a reconnect, an ack).
 */
export async function until(what: string, cond: () => boolean, ms = 20_000, everyMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
