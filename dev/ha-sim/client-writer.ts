// The writer of one client socket, modelled on HA's websocket_api/http.py: a pending-message queue that goes out
// once per turn of the loop, coalesced into JSON arrays when the client asked for it, and that cuts off a client
// which does not keep up (too many pending messages, or above the peak for too long).

import type { WebSocket } from 'ws';
import type { SimCore } from './core';

export interface WriterLimits {
  /** HA's MAX_PENDING_MSG: a client with this many queued messages is dropped. */
  maxPendingMessages: number;
  /** PENDING_MSG_PEAK / PENDING_MSG_PEAK_TIME: staying above the peak this long also drops it. */
  pendingPeak: number;
  pendingPeakTimeMs: number;
  /** The writer stops handing frames to the socket above this many buffered bytes (HA: 1 MiB). */
  writeBufferBytes: number;
  authTimeoutMs: number;
  /** aiohttp heartbeat: ping this often, drop the client when no pong comes within half of it. */
  heartbeatMs: number;
}

export class MessageWriter {
  /** Set by `supported_features` `coalesce_messages`. */
  canCoalesce = false;
  private readonly queue: string[] = [];
  private flushScheduled = false;
  private draining = false;
  private closing = false;
  private peakTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly clientId: number,
    private readonly core: Pick<SimCore, 'isHung' | 'warn'>,
    private readonly limits: WriterLimits,
    /** Drops the connection without a goodbye (`WebSocketHandler._cancel`). */
    private readonly drop: () => void,
  ) {}

  pending(): number {
    return this.queue.length;
  }

  /** `WebSocketHandler._send_message`. */
  enqueue(json: string): void {
    if (this.closing) return;
    const before = this.queue.length;
    if (before >= this.limits.maxPendingMessages) {
      this.core.warn(
        `ha-sim: client ${this.clientId} unable to keep up with pending messages. Reached ${this.limits.maxPendingMessages} pending messages`,
      );
      this.cancel();
      return;
    }
    this.queue.push(json);
    this.scheduleFlush();
    if (before <= this.limits.pendingPeak) {
      clearTimeout(this.peakTimer);
      this.peakTimer = undefined;
    } else if (!this.peakTimer) {
      this.peakTimer = setTimeout(() => {
        this.peakTimer = undefined;
        if (this.queue.length >= this.limits.pendingPeak) this.cancel();
      }, this.limits.pendingPeakTimeMs);
    }
  }

  /** Hands what is queued to the socket, until its buffer is above the limit (then again once it drained). */
  flush(): void {
    if (this.draining || this.core.isHung() || this.ws.readyState !== this.ws.OPEN) return;
    while (this.queue.length && !this.draining) {
      const batch = this.canCoalesce ? this.queue.splice(0) : this.queue.splice(0, 1);
      const frame = batch.length === 1 ? (batch[0] as string) : `[${batch.join(',')}]`;
      this.ws.send(frame, () => {
        if (!this.draining) return;
        this.draining = false;
        this.scheduleFlush();
      });
      if (this.ws.bufferedAmount > this.limits.writeBufferBytes) this.draining = true;
    }
  }

  /** The connection closed: nothing more is queued. */
  stop(): void {
    this.closing = true;
    clearTimeout(this.peakTimer);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Everything queued in this turn of the loop goes out together, as HA's writer batches its queue.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** `WebSocketHandler._cancel`: the connection is dropped without a goodbye. */
  private cancel(): void {
    this.closing = true;
    this.queue.length = 0;
    this.drop();
  }
}
