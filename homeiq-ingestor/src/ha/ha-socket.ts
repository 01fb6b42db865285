import { Backoff, type Health, type Logger, type Service } from '@homeiq/shared';
import WebSocket from 'ws';
import { ConnectionHealth } from './connection-health.js';
import { Session, type HaSession } from './ha-session.js';
import { Heartbeat } from './heartbeat.js';
import { InputProblems, type InputProblemCounts } from './input-problems.js';
import { parseFrame, type HaEvent, type ServerMessage } from './messages.js';

export interface HaSocketOptions {
  /** `ws://supervisor/core/websocket` in production. */
  url: string;
  token: string;
  localAddress?: string | undefined;
  /** Event types to subscribe to; state_changed is always included. */
  eventTypes: readonly string[];
  log: Logger;
  health: Health;
  /** Called synchronously for every event; must never block (HA cuts consumers that fall behind). */
  onEvent(event: HaEvent): void;
  /**
   * Called once per connection, after auth, coalescing and the subscriptions were sent (HA handles commands in
   * order, so anything asked through `session` sees every change after the subscription as an event). Must not
   * block: start asynchronous work (snapshot, backfill) and return.
   */
  onConnected?(session: HaSession): void;
  /** `*_registry_updated` events (always subscribed; also passed to onEvent when listed in eventTypes). */
  onRegistryEvent?(event: HaEvent): void;
  /** Every frame's size in bytes, as it arrives (LargeFrameReclaim). */
  onFrame?(bytes: number): void;
  /** How long HA may be unreachable before health turns red. */
  graceMs?: number;
  /** Heartbeat: a ping this often; no pong by the next one means a dead connection. */
  pingIntervalMs?: number;
  authTimeoutMs?: number;
  backoff?: Backoff;
  /**
   * How long a connection must stay up before the reconnect delay starts again from the shortest one. An HA (or
   * proxy) that accepts the token and drops the socket at once would otherwise be retried every second, each time
   * with the registries, `get_states` and a gap backfill. Default 60 s.
   */
  stableMs?: number;
}

export interface HaSocketStats extends InputProblemCounts {
  connected: boolean;
  haVersion: string | undefined;
  connects: number;
  reconnects: number;
  lastError: string | undefined;
}

/** The registry events enrichment listens to; floors and labels exist since HA 2024.3 (subscribing is harmless before). */
export const REGISTRY_EVENTS = [
  'entity_registry_updated',
  'device_registry_updated',
  'area_registry_updated',
  'floor_registry_updated',
  'label_registry_updated',
] as const;

/**
 * One connection to Home Assistant's WebSocket API through the Supervisor proxy: auth, coalescing,
 * subscriptions, heartbeat and reconnection with jittered backoff. Reading never waits on anything.
 */
export class HaSocket implements Service {
  readonly name = 'home-assistant connection';
  readonly #stats: Omit<HaSocketStats, keyof InputProblemCounts> = {
    connected: false,
    haVersion: undefined,
    connects: 0,
    reconnects: 0,
    lastError: undefined,
  };
  #ws: WebSocket | undefined;
  #nextId = 1;
  #stopped = true;
  #timers = new Set<NodeJS.Timeout>();
  #stableTimer: NodeJS.Timeout | undefined;
  readonly #heartbeat = new Heartbeat();
  readonly #health: ConnectionHealth;
  readonly #problems: InputProblems;
  #session: Session | undefined;
  #recorded: ReadonlySet<string>;
  readonly #registryEvents: ReadonlySet<string> = new Set(REGISTRY_EVENTS);
  readonly #backoff: Backoff;

  constructor(private readonly opts: HaSocketOptions) {
    this.#backoff = opts.backoff ?? new Backoff({ initialMs: 1000, maxMs: 30_000 });
    this.#recorded = new Set(['state_changed', ...opts.eventTypes]);
    this.#health = new ConnectionHealth(opts.health, opts.graceMs ?? 60_000);
    this.#problems = new InputProblems(opts.log);
  }

  stats(): Readonly<HaSocketStats> {
    return { ...this.#stats, ...this.#problems.counts() };
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#markDown('connecting to Home Assistant');
    this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    clearTimeout(this.#stableTimer);
    this.#heartbeat.stop();
    this.#health.stop();
    const ws = this.#ws;
    this.#ws = undefined;
    this.#session?.close();
    this.#session = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.close(1000, 'add-on stopping');
      const kill = setTimeout(() => ws.terminate(), 2000);
      await closed;
      clearTimeout(kill);
    }
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #send(msg: Record<string, unknown>): number {
    const id = this.#nextId++;
    this.#ws?.send(JSON.stringify({ id, ...msg }));
    return id;
  }

  #connect(): void {
    if (this.#stopped) return;
    const ws = new WebSocket(this.opts.url, { localAddress: this.opts.localAddress, perMessageDeflate: false });
    this.#ws = ws;
    this.#nextId = 1;
    const authTimer = setTimeout(() => {
      this.#stats.lastError = 'Home Assistant did not complete authentication in time';
      ws.terminate();
    }, this.opts.authTimeoutMs ?? 15_000);
    ws.on('message', (data, isBinary) => {
      // Its size first: a large frame that is not a message leaves garbage too (the timer fires after handling).
      this.opts.onFrame?.(Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength);
      const messages = isBinary ? undefined : parseFrame(data.toString(), this.#problems.invalid);
      if (!messages) {
        this.#problems.badFrame();
        return;
      }
      for (const m of messages) {
        // Nothing a message holds may stop the reader: a failure here is ours, counted and logged once per type.
        try {
          this.#handle(ws, m, authTimer);
        } catch (err) {
          this.#problems.handlerFailed(m.type, err);
        }
      }
    });
    ws.on('error', (err) => {
      this.#stats.lastError = err.message;
    });
    ws.on('close', (code) => {
      clearTimeout(authTimer);
      this.#heartbeat.stop();
      if (this.#ws === ws) {
        clearTimeout(this.#stableTimer);
        this.#session?.close();
        this.#session = undefined;
      }
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      const wasConnected = this.#stats.connected;
      this.#stats.connected = false;
      if (this.#stopped) return;
      const delay = this.#backoff.next();
      const why = this.#stats.lastError ?? `socket closed (code ${code})`;
      this.#markDown(`Home Assistant connection lost: ${why}`);
      (wasConnected ? this.opts.log.warn.bind(this.opts.log) : this.opts.log.debug.bind(this.opts.log))(
        `Home Assistant connection closed (${why}); reconnecting in ${delay} ms`,
      );
      this.#stats.reconnects += 1;
      this.#later(delay, () => this.#connect());
    });
  }

  #handle(ws: WebSocket, m: ServerMessage, authTimer: NodeJS.Timeout): void {
    switch (m.type) {
      case 'auth_required':
        ws.send(JSON.stringify({ type: 'auth', access_token: this.opts.token }));
        return;
      case 'auth_ok':
        clearTimeout(authTimer);
        this.#onReady(m.ha_version);
        return;
      case 'auth_invalid':
        this.#stats.lastError = `authentication rejected: ${m.message ?? 'no reason given'}`;
        this.opts.log.error(
          `Home Assistant rejected our token (${m.message ?? 'no reason'}); does the add-on have homeassistant_api?`,
        );
        ws.close();
        return;
      case 'event': {
        const type = (m.event as { event_type?: unknown } | null)?.event_type;
        if (typeof type === 'string' && this.#registryEvents.has(type)) {
          this.opts.onRegistryEvent?.(m.event);
          if (!this.#recorded.has(type)) return;
        }
        this.opts.onEvent(m.event);
        return;
      }
      case 'pong':
        this.#heartbeat.pong(m.id);
        return;
      case 'result':
        if (this.#session?.settle(m)) return;
        if (!m.success)
          this.opts.log.warn(
            { id: m.id, code: m.error?.code },
            `Home Assistant refused a command: ${m.error?.message ?? ''}`,
          );
        return;
      default:
        this.#problems.unknown((m as { type: unknown }).type);
    }
  }

  #onReady(haVersion: string | undefined): void {
    const ws = this.#ws;
    clearTimeout(this.#stableTimer);
    this.#stableTimer = setTimeout(() => {
      if (this.#ws === ws && this.#stats.connected) this.#backoff.reset();
    }, this.opts.stableMs ?? 60_000);
    this.#stats.connected = true;
    this.#stats.haVersion = haVersion;
    this.#stats.lastError = undefined;
    this.#stats.connects += 1;
    this.#send({ type: 'supported_features', features: { coalesce_messages: 1 } });
    for (const eventType of new Set([...this.#recorded, ...(this.opts.onRegistryEvent ? REGISTRY_EVENTS : [])])) {
      this.#send({ type: 'subscribe_events', event_type: eventType });
    }
    this.#health.up(haVersion);
    this.opts.log.info(
      `connected to Home Assistant ${haVersion ?? '(unknown version)'} (connection #${this.#stats.connects})`,
    );
    this.#heartbeat.start(
      this.opts.pingIntervalMs ?? 30_000,
      () => this.#send({ type: 'ping' }),
      (why) => {
        this.#stats.lastError = why;
        this.#ws?.terminate();
      },
    );
    const session = new Session(this.#stats.connects, (msg) => this.#send(msg));
    this.#session = session;
    try {
      this.opts.onConnected?.(session);
    } catch (err) {
      this.opts.log.error(`after connecting: ${(err as Error).message}`);
    }
  }

  #markDown(reason: string): void {
    this.#health.down(reason, () => this.#stats.lastError);
  }
}
