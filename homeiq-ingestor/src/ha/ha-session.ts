/** A command Home Assistant answered with `success: false`. */
export class HaCommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HaCommandError';
  }
}

/** One authenticated connection, for commands. Every pending command fails when the connection ends. */
export interface HaSession {
  /** 1 for the first connection, then one more per reconnect. */
  readonly connection: number;
  readonly closed: boolean;
  /** Sends a command (an id is added) and resolves with its result; rejects with HaCommandError or on close/timeout. */
  command<T = unknown>(msg: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Resolves when the connection ends. */
  readonly ended: Promise<void>;
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class Session implements HaSession {
  closed = false;
  readonly pending = new Map<number, Pending>();
  readonly ended: Promise<void>;
  #end!: () => void;

  constructor(
    readonly connection: number,
    private readonly send: (msg: Record<string, unknown>) => number,
  ) {
    this.ended = new Promise((resolve) => (this.#end = resolve));
  }

  command<T = unknown>(msg: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
    if (this.closed) return Promise.reject(new Error('Home Assistant connection closed'));
    return new Promise<T>((resolve, reject) => {
      const id = this.send(msg);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`Home Assistant did not answer ${String(msg['type'])} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
    });
  }

  /** True when the result belonged to a command of this session. */
  settle(m: { id: number; success: boolean; result?: unknown; error?: { code: string; message: string } }): boolean {
    const p = this.pending.get(m.id);
    if (!p) return false;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.success) p.resolve(m.result);
    else p.reject(new HaCommandError(m.error?.code ?? 'unknown_error', m.error?.message ?? 'no reason given'));
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('Home Assistant connection closed'));
    }
    this.pending.clear();
    this.#end();
  }
}
