import { Backoff, type Logger } from '@homeiq/shared';
import { createConnection, type Socket } from 'node:net';
import {
  connackReason,
  DISCONNECT,
  decodeConnack,
  decodePublish,
  encodeConnect,
  encodePublish,
  encodeSubscribe,
  PacketReader,
  PacketType,
  PINGREQ,
  type Incoming,
} from './packets.js';

export interface MqttClientOptions {
  host: string;
  port: number;
  username?: string | undefined;
  password?: string | undefined;
  /** Fixed per program: a restarted add-on takes over its old session, so the broker drops that one at once. */
  clientId: string;
  /** Sent to the broker on connect; the broker publishes it when the connection dies without a DISCONNECT. */
  will?: { topic: string; payload: string; retain: boolean } | undefined;
  /** Subscribed at QoS 0 on every connect. */
  subscriptions: readonly string[];
  localAddress?: string | undefined;
  log: Logger;
  /** Called after every successful connect (CONNACK accepted, subscriptions sent): publish everything now. */
  onConnected(): void;
  onMessage(topic: string, payload: string): void;
  /** PINGREQ this often; no answer to one by the next means a dead connection. Default 15 s. */
  keepaliveS?: number;
  connectTimeoutMs?: number;
  backoff?: Backoff;
  /** The retry delay starts over only once a connection has lasted this long (default 60 s), so a broker that
   * accepts and hangs up at once is retried ever more slowly, not every second. */
  stableMs?: number;
  /** Bytes waiting in the socket beyond which publish() drops messages (counted) instead of queueing them. */
  maxQueuedBytes?: number;
}

export interface MqttClientStats {
  connected: boolean;
  connects: number;
  /** Messages not sent: not connected, or the socket's queue was over its bound. */
  dropped: number;
  lastError: string | undefined;
}

/**
 * A small MQTT 3.1.1 client for publishing HomeIQ's entities: one connection, QoS 0, reconnect with jittered
 * backoff, keepalive, last will. Messages published while disconnected are dropped (and counted): the owner
 * republishes its full state from `onConnected`, which is what a retained-state publisher needs.
 */
export class MqttClient {
  readonly #stats: MqttClientStats = { connected: false, connects: 0, dropped: 0, lastError: undefined };
  #socket: Socket | undefined;
  #stopped = true;
  #retry: NodeJS.Timeout | undefined;
  #ping: NodeJS.Timeout | undefined;
  #stable: NodeJS.Timeout | undefined;
  #backoff: Backoff;
  /** The error last logged, so a broker that stays away is logged once, not on every attempt. */
  #logged: string | undefined;

  constructor(private readonly opts: MqttClientOptions) {
    this.#backoff = opts.backoff ?? new Backoff({ initialMs: 1000, maxMs: 60_000 });
  }

  stats(): MqttClientStats {
    return { ...this.#stats };
  }

  get connected(): boolean {
    return this.#stats.connected;
  }

  /** Starts connecting; never waits for the broker (an absent broker only means retries). */
  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  /** QoS 0. False (counted as dropped) when not connected or the socket is backed up. */
  publish(topic: string, payload: string, retain: boolean): boolean {
    const s = this.#socket;
    if (!s || !this.#stats.connected || s.writableLength > (this.opts.maxQueuedBytes ?? 1024 * 1024)) {
      this.#stats.dropped += 1;
      return false;
    }
    s.write(encodePublish(topic, payload, retain));
    return true;
  }

  /** DISCONNECT (so the broker does not publish the will), then closes; bounded by 2 s. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#ping);
    clearTimeout(this.#stable);
    const s = this.#socket;
    this.#socket = undefined;
    this.#stats.connected = false;
    if (!s || s.destroyed) return;
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    s.end(DISCONNECT);
    const kill = setTimeout(() => s.destroy(), 2000);
    await closed;
    clearTimeout(kill);
  }

  #connect(): void {
    if (this.#stopped) return;
    const o = this.opts;
    const socket = createConnection({ host: o.host, port: o.port, localAddress: o.localAddress });
    this.#socket = socket;
    socket.setNoDelay(true);
    const reader = new PacketReader();
    let lastHeard = Date.now();
    const timeout = setTimeout(
      () => socket.destroy(new Error('the broker did not accept the connection in time')),
      o.connectTimeoutMs ?? 10_000,
    );
    socket.once('connect', () =>
      this.#guard(socket, () =>
        socket.write(
          encodeConnect({
            clientId: o.clientId,
            keepaliveS: o.keepaliveS ?? 15,
            username: o.username,
            password: o.password,
            will: o.will,
          }),
        ),
      ),
    );
    // Whether this connection's CONNACK accepted us; anything else first, or a second CONNACK, is a protocol error.
    const session = { accepted: false };
    socket.on('data', (chunk: Buffer) => {
      lastHeard = Date.now();
      this.#guard(socket, () => {
        for (const p of reader.push(chunk)) {
          // A packet after one that ended the connection (a refusal, a protocol error) is not acted on.
          if (socket.destroyed) return;
          this.#handle(socket, session, p, timeout, () => lastHeard);
        }
      });
    });
    socket.on('error', (err) => {
      this.#stats.lastError = err.message;
    });
    socket.on('close', () => {
      clearTimeout(timeout);
      if (this.#socket !== socket) return;
      clearInterval(this.#ping);
      clearTimeout(this.#stable);
      this.#socket = undefined;
      const was = this.#stats.connected;
      this.#stats.connected = false;
      if (this.#stopped) return;
      const why = this.#stats.lastError ?? 'connection closed';
      const delay = this.#backoff.next();
      if (was || why !== this.#logged) {
        o.log.warn(`MQTT broker ${o.host}:${o.port}: ${why}; retrying in ${delay} ms (logged again when it changes)`);
        this.#logged = why;
      }
      this.#retry = setTimeout(() => this.#connect(), delay);
    });
  }

  /** Runs `fn` for this socket; whatever it throws (a broken packet, a bug of the owner) ends the connection. */
  #guard(socket: Socket, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      socket.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #handle(
    socket: Socket,
    session: { accepted: boolean },
    p: Incoming,
    timeout: NodeJS.Timeout,
    lastHeard: () => number,
  ): void {
    if (session.accepted === (p.type === PacketType.Connack)) {
      const what = session.accepted ? 'a second CONNACK' : `packet type ${p.type} before CONNACK`;
      socket.destroy(new Error(`protocol error: the broker sent ${what}`));
      return;
    }
    switch (p.type) {
      case PacketType.Connack: {
        clearTimeout(timeout);
        const { code } = decodeConnack(p.body);
        if (code !== 0) {
          socket.destroy(new Error(`the broker refused the connection: ${connackReason(code)}`));
          return;
        }
        session.accepted = true;
        this.#stats.connected = true;
        this.#stats.connects += 1;
        this.#stats.lastError = undefined;
        clearTimeout(this.#stable);
        this.#stable = setTimeout(() => this.#backoff.reset(), this.opts.stableMs ?? 60_000);
        this.#stable.unref();
        if (this.#logged !== undefined || this.#stats.connects === 1)
          this.opts.log.info(`connected to the MQTT broker ${this.opts.host}:${this.opts.port}`);
        this.#logged = undefined;
        if (this.opts.subscriptions.length > 0) socket.write(encodeSubscribe(1, this.opts.subscriptions));
        this.#keepalive(socket, lastHeard);
        this.opts.onConnected();
        return;
      }
      case PacketType.Publish: {
        const m = decodePublish(p);
        if (m) this.opts.onMessage(m.topic, m.payload);
        return;
      }
      default:
        // SUBACK, PINGRESP and anything else: hearing from the broker is all the keepalive needs.
        return;
    }
  }

  /** A PINGREQ every keepalive; silence since the previous one means the connection is dead. */
  #keepalive(socket: Socket, lastHeard: () => number): void {
    const everyMs = (this.opts.keepaliveS ?? 15) * 1000;
    let pingedAt: number | undefined;
    clearInterval(this.#ping);
    this.#ping = setInterval(() => {
      if (pingedAt !== undefined && lastHeard() < pingedAt) {
        socket.destroy(new Error(`no answer from the broker within ${everyMs / 1000} s`));
        return;
      }
      pingedAt = Date.now();
      socket.write(PINGREQ);
    }, everyMs);
    this.#ping.unref();
  }
}
