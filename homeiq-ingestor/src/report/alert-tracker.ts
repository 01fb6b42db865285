import * as z from 'zod';
import type { Alert } from './alerts.js';

/** One alert's life: detected, raised after the grace, cleared after the condition stayed away as long. */
export interface TrackedAlert {
  alert: Alert;
  /** When the condition was first seen in this episode (epoch ms). */
  since: number;
  /** When it was raised (told to the user); undefined while in its grace period. */
  raisedAt: number | undefined;
  /** When the condition went away while raised; cleared once it stays away for the clear period. */
  goneSince: number | undefined;
  /** The user dismissed the notification: not shown again until this episode ends. */
  dismissed: boolean;
}

/**
 * What survives a restart of the add-on: the raised alerts (a pending one starts its grace again). Ids are ours
 * (alerts.ts): one of another shape would make the notifier create or dismiss someone else's notification.
 */
export const persistedAlertsSchema = z.object({
  alerts: z
    .array(
      z.object({
        id: z.string().regex(/^homeiq_[a-z0-9_]{1,200}$/),
        title: z.string().max(500),
        message: z.string().max(10_000),
        since: z.number(),
        raisedAt: z.number(),
        dismissed: z.boolean(),
      }),
    )
    .max(100),
});
export type PersistedAlerts = z.infer<typeof persistedAlertsSchema>;

/**
 * Hysteresis in time: an alert is raised only once its condition has held for `graceMs` without a break, and
 * cleared only once the condition has stayed away for `clearMs`, so a problem that comes and goes within
 * seconds does not make a notification appear and vanish.
 */
export class AlertTracker {
  readonly #alerts = new Map<string, TrackedAlert>();
  /** Something worth persisting changed (raised, cleared, dismissed). */
  #dirty = false;

  constructor(
    private readonly graceMs: number,
    private readonly clearMs: number,
  ) {}

  /** Feeds one judgement: `current` holds the alerts whose condition holds now. */
  update(now: number, current: readonly Alert[]): void {
    const seen = new Set<string>();
    for (const a of current) {
      seen.add(a.id);
      const t = this.#alerts.get(a.id);
      if (!t) {
        this.#alerts.set(a.id, { alert: a, since: now, raisedAt: undefined, goneSince: undefined, dismissed: false });
        continue;
      }
      t.alert = a;
      t.goneSince = undefined;
    }
    for (const [id, t] of this.#alerts) {
      if (seen.has(id)) {
        if (t.raisedAt === undefined && now - t.since >= this.graceMs) {
          t.raisedAt = now;
          this.#dirty = true;
        }
        continue;
      }
      if (t.raisedAt === undefined) {
        this.#alerts.delete(id);
        continue;
      }
      t.goneSince ??= now;
      if (now - t.goneSince >= this.clearMs) {
        this.#alerts.delete(id);
        this.#dirty = true;
      }
    }
  }

  /** The alerts to show now: raised, not dismissed by the user. */
  shown(): Alert[] {
    return [...this.#alerts.values()].filter((t) => t.raisedAt !== undefined && !t.dismissed).map((t) => t.alert);
  }

  /** Raised now, dismissed by the user or not: the entities count these, and the bands that hold an alert. */
  raised(): Alert[] {
    return [...this.#alerts.values()].filter((t) => t.raisedAt !== undefined).map((t) => t.alert);
  }

  /** The user dismissed it in Home Assistant: keep it raised (it still counts) but do not show it again. */
  dismiss(id: string): void {
    const t = this.#alerts.get(id);
    if (t && !t.dismissed) {
      t.dismissed = true;
      this.#dirty = true;
    }
  }

  /** True once after a change worth saving. */
  takeDirty(): boolean {
    const d = this.#dirty;
    this.#dirty = false;
    return d;
  }

  persisted(): PersistedAlerts {
    const alerts = [];
    for (const t of this.#alerts.values())
      if (t.raisedAt !== undefined)
        alerts.push({ ...t.alert, since: t.since, raisedAt: t.raisedAt, dismissed: t.dismissed });
    return { alerts };
  }

  /** Restores the raised alerts of the previous run: they stay raised until their condition stays away. */
  restore(p: PersistedAlerts): void {
    for (const a of p.alerts)
      this.#alerts.set(a.id, {
        alert: { id: a.id, title: a.title, message: a.message },
        since: a.since,
        raisedAt: a.raisedAt,
        goneSince: undefined,
        dismissed: a.dismissed,
      });
  }
}
