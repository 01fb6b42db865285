// One client socket: the auth phase, the command phase with HA's id rules, the heartbeat, and the hung-HA
// fault (frames held until it resumes); what it sends goes through the MessageWriter (client-writer.ts).

import type { WebSocket, RawData } from 'ws';
import type { SimCore } from './core';
import { CommandError, isDict, validate, type Fields } from './schema';
import type { Context } from './types';
import { MessageWriter, type WriterLimits } from './client-writer';

export interface Conn {
  readonly core: SimCore;
  readonly subscriptions: Map<number, () => void>;
  sendResult(id: number, result?: unknown): void;
  sendError(id: number | null, code: string, message: string, extra?: Record<string, unknown>): void;
  sendEvent(id: number, event: unknown): void;
  /** Queues an already serialised message. */
  sendJson(json: string): void;
  setSupportedFeatures(features: Record<string, number>): void;
  context(): Context;
}

export interface Command {
  fields: Fields;
  handler: (conn: Conn, msg: Record<string, unknown>) => void;
}

const AUTH_FIELDS: Fields = {
  type: { required: true, check: (v) => (v === 'auth' ? null : 'not a valid value') },
  access_token: { check: (v) => (typeof v === 'string' ? null : 'expected str') },
  api_password: { check: (v) => (typeof v === 'string' ? null : 'expected str') },
};

export class Connection implements Conn {
  readonly subscriptions = new Map<number, () => void>();
  private phase: 'auth' | 'active' | 'closed' = 'auth';
  private lastId = 0;
  private readonly writer: MessageWriter;
  private readonly inbox: Array<{ data: RawData; isBinary: boolean }> = [];
  private pendingPong: Buffer | undefined;
  private readonly timers: {
    auth?: NodeJS.Timeout;
    heartbeat?: NodeJS.Timeout;
    pong?: NodeJS.Timeout;
  } = {};
  private readonly offResume: () => void;

  constructor(
    private readonly ws: WebSocket,
    readonly clientId: number,
    readonly core: SimCore,
    private readonly limits: WriterLimits,
    private readonly commands: ReadonlyMap<string, Command>,
    private readonly token: string,
    private readonly log: (clientId: number, msg: unknown) => void,
    private readonly onClosed: (conn: Connection) => void,
  ) {
    this.writer = new MessageWriter(ws, clientId, core, limits, () => this.terminate());
    this.offResume = core.onResume(() => this.resume());
    ws.on('message', (data, isBinary) =>
      core.isHung() ? this.inbox.push({ data, isBinary }) : this.onFrame(data, isBinary),
    );
    ws.on('ping', (data) => {
      if (core.isHung()) this.pendingPong = data;
      else ws.pong(data);
    });
    ws.on('pong', () => clearTimeout(this.timers.pong));
    ws.on('close', () => this.cleanup());
    ws.on('error', () => this.cleanup());
    this.timers.auth = setTimeout(() => this.close(), limits.authTimeoutMs);
    this.timers.heartbeat = setInterval(() => this.heartbeat(), limits.heartbeatMs);
    this.enqueue(JSON.stringify({ type: 'auth_required', ha_version: core.version }));
  }

  get authenticated(): boolean {
    return this.phase === 'active';
  }

  // ---- reading -------------------------------------------------------------

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.phase === 'closed') return;
    // Binary frames carry HA's binary handlers (none here); anything else non-JSON ends the connection.
    if (isBinary) {
      if (this.phase === 'auth') this.close();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      this.close();
      return;
    }
    if (this.phase === 'auth') {
      this.onAuth(parsed);
      return;
    }
    for (const msg of Array.isArray(parsed) ? parsed : [parsed]) {
      if (this.phase !== 'active') break;
      this.log(this.clientId, msg);
      this.handle(msg);
    }
  }

  private onAuth(msg: unknown): void {
    this.log(this.clientId, msg);
    clearTimeout(this.timers.auth);
    let valid: Record<string, unknown>;
    try {
      if (!isDict(msg)) throw new CommandError('invalid_format', `expected a dictionary. Got ${JSON.stringify(msg)}`);
      valid = validate(msg, AUTH_FIELDS);
    } catch (err) {
      this.sendDirect({
        type: 'auth_invalid',
        message: `Auth message incorrectly formatted: ${(err as Error).message}`,
      });
      this.close();
      return;
    }
    if (valid['access_token'] !== this.token) {
      this.sendDirect({ type: 'auth_invalid', message: 'Invalid access token or password' });
      this.close();
      return;
    }
    this.phase = 'active';
    this.sendDirect({ type: 'auth_ok', ha_version: this.core.version });
  }

  /** `ActiveConnection.async_handle`. */
  private handle(msg: unknown): void {
    const id = isDict(msg) ? msg['id'] : undefined;
    const type = isDict(msg) ? msg['type'] : undefined;
    if (
      !isDict(msg) ||
      typeof id !== 'number' ||
      !Number.isInteger(id) ||
      id === 0 ||
      typeof type !== 'string' ||
      !type
    ) {
      this.sendError(
        isDict(msg) ? ((msg['id'] as number | undefined) ?? null) : 0,
        'invalid_format',
        'Message incorrectly formatted.',
      );
      return;
    }
    if (id <= this.lastId) {
      this.sendError(id, 'id_reuse', 'Identifier values have to increase.');
      return;
    }
    const command = this.commands.get(type);
    if (!command) {
      this.sendError(id, 'unknown_command', 'Unknown command.');
      return;
    }
    try {
      command.handler(
        this,
        validate(msg, {
          id: { required: true, check: () => null },
          type: { required: true, check: () => null },
          ...command.fields,
        }),
      );
    } catch (err) {
      if (err instanceof CommandError) this.sendError(id, err.code, err.message, err.extra);
      else this.sendError(id, 'unknown_error', (err as Error).message || 'Unknown error');
    }
    // Set even when the handler failed: only id_reuse/unknown_command leave it untouched.
    this.lastId = id;
  }

  // ---- writing -------------------------------------------------------------

  context(): Context {
    return this.core.userContext();
  }

  setSupportedFeatures(features: Record<string, number>): void {
    this.writer.canCoalesce = 'coalesce_messages' in features;
  }

  sendResult(id: number, result: unknown = null): void {
    this.enqueue(JSON.stringify({ id, type: 'result', success: true, result }));
  }

  sendError(id: number | null, code: string, message: string, extra: Record<string, unknown> = {}): void {
    this.enqueue(JSON.stringify({ id, type: 'result', success: false, error: { code, message, ...extra } }));
  }

  sendEvent(id: number, event: unknown): void {
    this.enqueue(JSON.stringify({ id, type: 'event', event }));
  }

  sendJson(json: string): void {
    this.enqueue(json);
  }

  pending(): number {
    return this.writer.pending();
  }

  /** Fault switch: `frame` exactly as given, after what is queued, to an authenticated client. */
  sendRawFrame(frame: string): void {
    if (this.phase !== 'active') return;
    this.writer.flush();
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame);
  }

  /** auth_ok/auth_invalid bypass the queue in HA (`send_bytes_text`). */
  private sendDirect(msg: Record<string, unknown>): void {
    this.writer.flush();
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private enqueue(json: string): void {
    if (this.phase !== 'closed') this.writer.enqueue(json);
  }

  // ---- lifecycle -----------------------------------------------------------

  private heartbeat(): void {
    if (this.core.isHung() || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.ping();
    clearTimeout(this.timers.pong);
    this.timers.pong = setTimeout(() => this.terminate(), this.limits.heartbeatMs / 2);
  }

  private resume(): void {
    if (this.pendingPong && this.ws.readyState === this.ws.OPEN) this.ws.pong(this.pendingPong);
    this.pendingPong = undefined;
    while (this.inbox.length && !this.core.isHung()) {
      const next = this.inbox.shift();
      if (next) this.onFrame(next.data, next.isBinary);
    }
    this.writer.flush();
  }

  close(code = 1000): void {
    this.cleanup();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code);
  }

  terminate(): void {
    this.cleanup();
    this.ws.terminate();
  }

  private cleanup(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.writer.stop();
    for (const t of Object.values(this.timers)) clearTimeout(t);
    clearInterval(this.timers.heartbeat);
    for (const unsub of this.subscriptions.values()) unsub();
    this.subscriptions.clear();
    this.offResume();
    this.onClosed(this);
  }
}
