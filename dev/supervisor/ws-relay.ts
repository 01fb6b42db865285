/**
 * Frame relaying between two WebSockets with bounded buffering.
 *
 * The Supervisor awaits every send, so a slow reader stalls the relay and TCP pushes back on the fast
 * side. `ws` sends without waiting, so the emulator gets the same effect by pausing the source while the
 * target has more than a high-water mark queued, and gives up on a peer (closing both sides, as HA does
 * with clients that cannot keep up) if the queue passes a hard bound anyway.
 * @module
 */
import WebSocket from 'ws';

/** Limits of one relay direction. */
export interface RelayLimits {
  /** Hard bound on bytes queued towards the target; past it both sockets are terminated. */
  maxBufferedBytes: number;
}

/** Queue size at which the source is paused (the hard bound stays a safety net above it). */
function highWater(limits: RelayLimits): number {
  return Math.max(1, Math.min(1024 * 1024, Math.floor(limits.maxBufferedBytes / 2)));
}

/**
 * Closes quietly whatever state the socket is in (close frames only go out on an open socket). A paused
 * socket is resumed first, or it would never read the peer's close reply and hang until ws's timeout.
 */
export function closeSocket(ws: WebSocket, code = 1000): void {
  if (ws.readyState === WebSocket.OPEN) {
    ws.resume();
    ws.close(code);
  } else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
}

/** Turns a `message` payload into one Buffer (with the default `nodebuffer` binary type it already is). */
export function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * One direction of a relay: `send` forwards a frame to `to`, pausing `from` while `to` is congested.
 */
export class RelayDirection {
  #paused = false;

  constructor(
    private readonly from: WebSocket,
    private readonly to: WebSocket,
    private readonly limits: RelayLimits,
    private readonly onOverflow: () => void,
  ) {}

  send(data: Buffer, isBinary: boolean): void {
    if (this.to.readyState !== WebSocket.OPEN) return;
    this.to.send(data, { binary: isBinary }, () => {
      // Runs once the frame has left the queue; a drained queue lets the source flow again.
      if (this.#paused && this.to.bufferedAmount < highWater(this.limits) / 2) {
        this.#paused = false;
        this.from.resume();
      }
    });
    if (this.to.bufferedAmount > this.limits.maxBufferedBytes) {
      this.onOverflow();
    } else if (!this.#paused && this.to.bufferedAmount > highWater(this.limits)) {
      this.#paused = true;
      this.from.pause();
    }
  }
}

/** Options of {@link bridge}. */
export interface BridgeOptions extends RelayLimits {
  /** Relay ping/pong frames instead of answering them locally (ingress does, with autoping off). */
  relayPings?: boolean;
  /**
   * Sees every frame from `a` first and returns what to forward: the same buffer (unchanged), another
   * one (sent with the same frame type), or null (handled locally, nothing forwarded).
   */
  transformA?: (data: Buffer, isBinary: boolean) => Buffer | null;
  /** Called once when the bridge is torn down. */
  onClose?: () => void;
}

/** Handle on a running bridge. */
export interface Bridge {
  /** Injects a frame as if `a` had sent it (e.g. frames queued before the bridge existed). */
  fromA(data: Buffer, isBinary: boolean): void;
}

/**
 * Relays frames both ways between two open sockets until either closes; then closes the other with
 * 1000, as the Supervisor does (it does not forward the peer's close code).
 */
export function bridge(a: WebSocket, b: WebSocket, opts: BridgeOptions): Bridge {
  let done = false;
  const teardown = (terminate: boolean): void => {
    if (done) return;
    done = true;
    for (const ws of [a, b]) {
      if (terminate) ws.terminate();
      else closeSocket(ws);
    }
    opts.onClose?.();
  };
  const overflow = (): void => teardown(true);
  const aToB = new RelayDirection(a, b, opts, overflow);
  const bToA = new RelayDirection(b, a, opts, overflow);

  const fromA = (data: Buffer, isBinary: boolean): void => {
    const out = opts.transformA ? opts.transformA(data, isBinary) : data;
    if (out !== null) aToB.send(out, isBinary);
  };
  a.on('message', (data, isBinary) => fromA(toBuffer(data), isBinary));
  b.on('message', (data, isBinary) => bToA.send(toBuffer(data), isBinary));
  if (opts.relayPings) {
    // aiohttp relays the frame type, not the payload: ws_to.ping() / ws_to.pong() without data.
    a.on('ping', () => b.readyState === WebSocket.OPEN && b.ping());
    b.on('ping', () => a.readyState === WebSocket.OPEN && a.ping());
    a.on('pong', () => b.readyState === WebSocket.OPEN && b.pong());
    b.on('pong', () => a.readyState === WebSocket.OPEN && a.pong());
  }
  for (const ws of [a, b]) {
    ws.on('close', () => teardown(false));
    ws.on('error', () => teardown(true));
  }
  // A side that went away before the bridge existed emits no further close event.
  if (a.readyState !== WebSocket.OPEN || b.readyState !== WebSocket.OPEN) teardown(false);
  return { fromA };
}

/** Sends a JSON message if the socket is open. */
export function sendJson(ws: WebSocket, message: unknown): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}
