import type { Logger } from '@homeiq/shared';
import * as z from 'zod';
import type { HaSession } from '../ha/ha-session.js';
import { ALERT_PREFIX, type Alert } from './alerts.js';

/** `persistent_notification/get`: HA's notifications (in memory: an HA restart forgets them all). */
const listSchema = z.array(
  z.looseObject({ notification_id: z.string(), title: z.string().nullable().optional(), message: z.string() }),
);

/** A refused or failed call is tried again after this long (or on the next connection). */
const RETRY_MS = 30_000;
/** While ours are shown, HA's list is read this often (at most) to notice the ones the user dismissed. */
const CHECK_MS = 30_000;

interface Shown {
  title: string;
  message: string;
  /** When we last sent it (epoch ms). */
  at: number;
}

export interface NotifierOptions {
  log: Logger;
  /** A shown notification's text is refreshed at most this often (its numbers change all the time). */
  updateEveryMs: number;
  /** The user dismissed a notification of ours while its problem lasts. */
  onDismissed(id: string): void;
}

/**
 * Keeps Home Assistant's persistent notifications equal to the alerts HomeIQ shows, over the ingestor's
 * WebSocket session: nothing is sent while Home Assistant is unreachable, and each new connection starts by
 * reading what Home Assistant shows (`persistent_notification/get`) and putting it right: missing ones are
 * created (after an HA restart), stale ones of ours dismissed (problems that ended meanwhile, or in a previous
 * run of the add-on). Ids are stable (`homeiq_<problem>`), so creating one again replaces it: no duplicates.
 * One that disappears while its problem lasts and HA stayed connected was dismissed by the user: reported
 * through `onDismissed`, not shown again for this problem. HA tells no one of a dismissal, so while ours are
 * shown its list is read again every CHECK_MS (and before any update), also for a text that never changes.
 */
export class HaNotifier {
  #session: HaSession | undefined;
  /** What HA shows of ours, as far as this session knows; undefined until read after connecting. */
  #shown: Map<string, Shown> | undefined;
  #running = false;
  #lastError: string | undefined;
  /** After a failure, no call before this (epoch ms), unless a new connection comes first. */
  #retryAt = 0;
  /** When HA's list was last read (epoch ms). */
  #checkedAt = 0;

  constructor(private readonly opts: NotifierOptions) {}

  /** A new connection: read HA's notifications before the next change. */
  onConnected(session: HaSession): void {
    this.#session = session;
    this.#shown = undefined;
    this.#retryAt = 0;
  }

  /** Makes HA show exactly `alerts` (of ours); one sync at a time, a call during one is skipped. */
  async sync(alerts: readonly Alert[], now: number): Promise<void> {
    const session = this.#session;
    if (this.#running || !session || session.closed || now < this.#retryAt) return;
    this.#running = true;
    try {
      this.#shown ??= await this.#read(session, now);
      const shown = this.#shown;
      const wanted = new Map(alerts.map((a) => [a.id, a]));
      const due = (a: Alert): boolean => {
        const s = shown.get(a.id);
        return !s || ((s.title !== a.title || s.message !== a.message) && now - s.at >= this.opts.updateEveryMs);
      };
      // Ours that HA no longer shows were dismissed by the user: leave them dismissed (checked before replacing one).
      if (shown.size > 0 && (now - this.#checkedAt >= CHECK_MS || alerts.some((a) => shown.has(a.id) && due(a)))) {
        const inHa = await this.#read(session, now);
        for (const id of [...shown.keys()]) {
          if (inHa.has(id)) continue;
          shown.delete(id);
          if (!wanted.delete(id)) continue;
          this.opts.log.info(`notification ${id} was dismissed in Home Assistant; not shown again for this problem`);
          this.opts.onDismissed(id);
        }
      }
      for (const a of wanted.values()) {
        const s = shown.get(a.id);
        if (!due(a)) continue;
        await this.#call(session, 'create', { notification_id: a.id, title: a.title, message: a.message });
        shown.set(a.id, { title: a.title, message: a.message, at: now });
        if (!s) this.opts.log.info(`notified Home Assistant: ${a.title} (${a.id})`);
      }
      for (const id of [...shown.keys()]) {
        if (wanted.has(id)) continue;
        await this.#call(session, 'dismiss', { notification_id: id });
        shown.delete(id);
        this.opts.log.info(`dismissed notification ${id}: the problem is over`);
      }
      if (this.#lastError !== undefined) this.opts.log.info('Home Assistant takes notifications again');
      this.#lastError = undefined;
    } catch (err) {
      // The connection dropped or HA refused: tried again in a while, or on the next connection.
      const why = (err as Error).message;
      if (why !== this.#lastError && !session.closed)
        this.opts.log.warn(`cannot update Home Assistant's notifications: ${why}; trying again`);
      this.#lastError = why;
      this.#shown = undefined;
      this.#retryAt = now + RETRY_MS;
    } finally {
      this.#running = false;
    }
  }

  async #read(session: HaSession, now: number): Promise<Map<string, Shown>> {
    const parsed = listSchema.safeParse(await session.command({ type: 'persistent_notification/get' }, 30_000));
    if (!parsed.success) throw new Error('persistent_notification/get answered something that is not a list');
    this.#checkedAt = now;
    const shown = new Map<string, Shown>();
    for (const n of parsed.data)
      if (n.notification_id.startsWith(ALERT_PREFIX))
        // Read back, its age is unknown: treat it as just sent, so an update waits its turn.
        shown.set(n.notification_id, { title: n.title ?? '', message: n.message, at: now });
    return shown;
  }

  #call(session: HaSession, service: 'create' | 'dismiss', data: Record<string, string>): Promise<unknown> {
    return session.command(
      { type: 'call_service', domain: 'persistent_notification', service, service_data: data },
      30_000,
    );
  }
}
