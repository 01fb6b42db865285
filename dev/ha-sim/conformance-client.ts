// The conformance script's WebSocket client: every message kept until a step takes it, coalesced frames split.

import type WebSocket from 'ws';

export type Msg = Record<string, unknown>;

export class ScriptClient {
  private readonly inbox: Msg[] = [];
  private waiters: Array<() => void> = [];

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const parsed: unknown = JSON.parse(data.toString());
      // Coalesced frames are arrays; the script looks at messages, not frames.
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.inbox.push(m as Msg);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** The first unconsumed message matching `pred`, or null after the timeout. */
  async next(pred: (m: Msg) => boolean, timeoutMs: number): Promise<Msg | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Msg;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

export const byId = (id: number) => (m: Msg) => m['id'] === id && m['type'] !== 'event';
export const eventFor =
  (sub: number, pred: (e: Msg) => boolean = () => true) =>
  (m: Msg) =>
    m['id'] === sub && m['type'] === 'event' && pred(m['event'] as Msg);
export const changedEntity = (entityId: string) => (e: Msg) =>
  (e['data'] as Msg | undefined)?.['entity_id'] === entityId;
