import { globMatch } from '@homeiq/shared';
import type { StreamEvent } from '@homeiq/shared/contracts';
import type { ServerResponse } from 'node:http';
import type { HaEvent } from '../ha/messages.js';
import { headOf } from '../points/state-model.js';

export type { StreamEvent };

export interface StreamFilter {
  types: ReadonlySet<string>;
  domains: ReadonlySet<string>;
  /** Entity globs (`sensor.*_power`), matched by the shared linear-time matcher: they come from the query string. */
  entities: readonly string[];
}

export interface EventStreamOptions {
  /** Events kept for late joiners (sent first to every new client). */
  bufferSize?: number;
  /** Bytes a client may have waiting in its socket queue; beyond that it is dropped (it reconnects with Last-Event-ID). */
  maxQueuedBytes?: number;
  /** Comment line every so often, so proxies keep the connection open. */
  heartbeatMs?: number;
}

export interface EventStreamStats {
  clients: number;
  /** Clients dropped because they could not keep up. */
  droppedClients: number;
  sent: number;
}

interface Slot {
  event: StreamEvent;
  text: string | undefined;
}

interface Client {
  res: ServerResponse;
  filter: StreamFilter;
}

const CAP = 256;
const cap = (v: unknown): string | undefined =>
  typeof v === 'string' ? (v.length > CAP ? headOf(v, CAP, '…') : v) : undefined;

function stateOf(v: unknown): string | null {
  if (v === null || typeof v !== 'object') return null;
  return cap((v as { state?: unknown }).state) ?? null;
}

/** The compact form of an HA event (no attributes beyond unit and name). */
export function compactEvent(id: number, e: HaEvent): StreamEvent {
  const out: StreamEvent = { id, time: e.time_fired, type: e.event_type };
  const entity = cap(e.data['entity_id']);
  if (entity !== undefined) out.entity_id = entity;
  if (e.event_type === 'state_changed') {
    const ns = e.data['new_state'];
    out.state = stateOf(ns);
    out.old_state = stateOf(e.data['old_state']);
    const attrs =
      ns !== null && typeof ns === 'object' ? (ns as { attributes?: Record<string, unknown> }).attributes : undefined;
    const unit = cap(attrs?.['unit_of_measurement']);
    if (unit !== undefined) out.unit = unit;
    const name = cap(attrs?.['friendly_name']);
    if (name !== undefined) out.name = name;
  }
  return out;
}

export function makeFilter(q: {
  types?: readonly string[];
  domains?: readonly string[];
  entities?: readonly string[];
}): StreamFilter {
  return { types: new Set(q.types ?? []), domains: new Set(q.domains ?? []), entities: [...(q.entities ?? [])] };
}

/** Empty lists match everything; domain and entity lists are alternatives (either may match). */
export function matches(f: StreamFilter, e: StreamEvent): boolean {
  if (f.types.size > 0 && !f.types.has(e.type)) return false;
  if (f.domains.size === 0 && f.entities.length === 0) return true;
  const id = e.entity_id;
  if (id === undefined) return false;
  const dot = id.indexOf('.');
  return (dot > 0 && f.domains.has(id.slice(0, dot))) || f.entities.some((g) => globMatch(g, id));
}

/**
 * The live event stream (SSE): a ring buffer of the last events for late joiners and a set of clients.
 * `publish` is called on the ingestion path, so it is synchronous and cheap: with no clients it only stores a
 * reference; serialisation happens once per event, only when someone listens. A client whose socket queue
 * passes `maxQueuedBytes` is dropped and counted; ingestion never waits for a client.
 */
export class EventStream {
  readonly #ring: Array<Slot | undefined>;
  readonly #clients = new Set<Client>();
  readonly #maxQueued: number;
  readonly #stats = { droppedClients: 0, sent: 0 };
  #next = 1;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly opts: EventStreamOptions = {}) {
    this.#ring = new Array<Slot | undefined>(opts.bufferSize ?? 200);
    this.#maxQueued = opts.maxQueuedBytes ?? 1024 * 1024;
  }

  stats(): EventStreamStats {
    return { clients: this.#clients.size, ...this.#stats };
  }

  publish(e: HaEvent): void {
    const id = this.#next++;
    const slot: Slot = { event: compactEvent(id, e), text: undefined };
    this.#ring[id % this.#ring.length] = slot;
    for (const c of this.#clients) if (matches(c.filter, slot.event)) this.#send(c, slot);
  }

  /** Takes over `res` (headers, replay of the buffer after `lastEventId`, then live events) until it closes. */
  attach(res: ServerResponse, filter: StreamFilter, lastEventId: number | undefined): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    res.socket?.setTimeout(0);
    res.write('retry: 2000\n\n');
    const client: Client = { res, filter };
    // A Last-Event-ID from before a restart (larger than anything we issued) replays the whole buffer.
    const after = lastEventId !== undefined && lastEventId < this.#next ? lastEventId : 0;
    for (let id = Math.max(after + 1, this.#next - this.#ring.length); id < this.#next; id += 1) {
      const slot = this.#ring[id % this.#ring.length];
      if (slot && slot.event.id === id && matches(filter, slot.event)) this.#send(client, slot);
    }
    if (res.destroyed) return;
    this.#clients.add(client);
    res.once('close', () => this.#clients.delete(client));
    this.#heartbeat ??= setInterval(() => {
      for (const c of this.#clients) c.res.write(': ping\n\n');
    }, this.opts.heartbeatMs ?? 15_000).unref();
  }

  /** Ends every stream (at shutdown). */
  close(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const c of this.#clients) c.res.end();
    this.#clients.clear();
  }

  #send(c: Client, slot: Slot): void {
    if (c.res.writableLength > this.#maxQueued) {
      this.#clients.delete(c);
      this.#stats.droppedClients += 1;
      c.res.destroy();
      return;
    }
    slot.text ??= `id: ${slot.event.id}\ndata: ${JSON.stringify(slot.event)}\n\n`;
    c.res.write(slot.text);
    this.#stats.sent += 1;
  }
}
