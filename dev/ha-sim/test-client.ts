// A raw `ws` client for the simulator tests: keeps every frame, lets tests
// await the next message matching a predicate, numbers commands itself.

import WebSocket from 'ws';

export type Msg = Record<string, unknown>;

export class RawClient {
  /** Frames as parsed JSON: objects, or arrays when the server coalesced. */
  readonly frames: unknown[] = [];
  private readonly inbox: Msg[] = [];
  private waiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  private nextId = 1;
  readonly closed: Promise<{ code: number }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const parsed: unknown = JSON.parse(data.toString());
      this.frames.push(parsed);
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.deliver(m as Msg);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
    ws.on('error', () => undefined);
  }

  static open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Opens, authenticates and (by default) negotiates coalescing like the official client. */
  static async connect(url: string, token: string, { coalesce = true } = {}): Promise<RawClient> {
    const client = await RawClient.open(url);
    await client.next((m) => m['type'] === 'auth_required');
    client.send({ type: 'auth', access_token: token });
    const reply = await client.next((m) => m['type'] === 'auth_ok' || m['type'] === 'auth_invalid');
    if (reply['type'] !== 'auth_ok') throw new Error(`auth failed: ${JSON.stringify(reply)}`);
    if (coalesce) await client.command({ type: 'supported_features', features: { coalesce_messages: 1 } });
    return client;
  }

  private deliver(m: Msg): void {
    const waiter = this.waiters.find((w) => w.pred(m));
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(m);
    } else {
      this.inbox.push(m);
    }
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Resolves with the first unconsumed message matching `pred`. */
  next(pred: (m: Msg) => boolean = () => true, timeoutMs = 2000): Promise<Msg> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Msg);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (m: Msg) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for a message (${pred.toString().slice(0, 120)})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Everything received and not consumed yet. */
  drain(): Msg[] {
    return this.inbox.splice(0);
  }

  /** Sends a command with the next id and resolves with its result (or pong). */
  async command(msg: Msg, timeoutMs = 2000): Promise<Msg> {
    const id = this.nextId++;
    this.send({ id, ...msg });
    return this.next((m) => m['id'] === id && (m['type'] === 'result' || m['type'] === 'pong'), timeoutMs);
  }

  /** Sends a subscription command; resolves with its id once the result arrived. */
  async subscribe(msg: Msg): Promise<number> {
    const id = this.nextId++;
    this.send({ id, ...msg });
    const result = await this.next((m) => m['id'] === id && m['type'] === 'result');
    if (result['success'] !== true) throw new Error(`subscribe failed: ${JSON.stringify(result)}`);
    return id;
  }

  event(subscription: number, pred: (event: Msg) => boolean = () => true, timeoutMs = 2000): Promise<Msg> {
    return this.next(
      (m) => m['id'] === subscription && m['type'] === 'event' && pred(m['event'] as Msg),
      timeoutMs,
    ).then((m) => m['event'] as Msg);
  }

  useId(id: number): void {
    this.nextId = id;
  }

  close(): void {
    this.ws.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
