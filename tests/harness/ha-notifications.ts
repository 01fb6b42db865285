// Watches Home Assistant's persistent notifications the way its frontend does (`persistent_notification/subscribe`),
// across HA restarts, so a test can say when a notification appeared, changed or went, and how many there are.
import { RawClient, type Msg } from '../../dev/ha-sim/test-client.js';
import type { RealHa } from '../../dev/peers/homeassistant.js';

export interface Notification {
  notification_id: string;
  title: string | null;
  message: string;
  created_at: string;
}

export interface NotificationEvent {
  /** Our clock, ms. */
  at: number;
  /** `current` after each (re)subscription, then `added` (also for a replaced one) and `removed`. */
  type: string;
  notifications: Record<string, Notification>;
}

export class NotificationWatch {
  readonly events: NotificationEvent[] = [];
  #client: RawClient | undefined;

  private constructor(private readonly ha: RealHa) {}

  static async start(ha: RealHa): Promise<NotificationWatch> {
    const w = new NotificationWatch(ha);
    await w.reconnect();
    return w;
  }

  /** After an HA restart: a new connection and subscription (its `current` event lists what HA has now). */
  async reconnect(): Promise<void> {
    this.#client?.close();
    const client = await RawClient.connect(this.ha.wsUrl, this.ha.token);
    this.#client = client;
    const sub = await client.subscribe({ type: 'persistent_notification/subscribe' });
    client.ws.on('message', (data) => {
      const parsed: unknown = JSON.parse(data.toString());
      for (const m of (Array.isArray(parsed) ? parsed : [parsed]) as Msg[]) {
        if (m['id'] !== sub || m['type'] !== 'event') continue;
        const e = m['event'] as { type: string; notifications: Record<string, Notification> };
        this.events.push({ at: Date.now(), type: e.type, notifications: e.notifications });
      }
    });
  }

  /** What HA shows now (`persistent_notification/get`). */
  async list(): Promise<Notification[]> {
    const client = this.#client;
    if (!client) throw new Error('not connected');
    const r = await client.command({ type: 'persistent_notification/get' }, 10_000);
    if (r['success'] !== true) throw new Error(`persistent_notification/get: ${JSON.stringify(r)}`);
    return r['result'] as Notification[];
  }

  /** The events about one notification id, from index `from` on. */
  about(id: string, from = 0): NotificationEvent[] {
    return this.events.slice(from).filter((e) => id in e.notifications);
  }

  close(): void {
    this.#client?.close();
  }
}
