/** Heartbeat: a ping every `intervalMs`; no pong by the next one means a dead connection. */
export class Heartbeat {
  #timer: NodeJS.Timeout | undefined;
  #pending: number | undefined;

  /** `ping` sends one and returns its id; `dead` is called instead of the next ping when the last one went unanswered. */
  start(intervalMs: number, ping: () => number, dead: (why: string) => void): void {
    this.#timer = setInterval(() => {
      if (this.#pending !== undefined) {
        dead(`no pong within ${intervalMs} ms`);
        return;
      }
      this.#pending = ping();
    }, intervalMs);
  }

  pong(id: number): void {
    if (id === this.#pending) this.#pending = undefined;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }
}
