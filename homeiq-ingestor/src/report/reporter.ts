import type { Logger, Service, SupervisorClient } from '@homeiq/shared';
import type { HaSession } from '../ha/ha-session.js';
import { AlertTracker } from './alert-tracker.js';
import { detectAlerts } from './alerts.js';
import { readAlertsFile, writeAlertsFile } from './alerts-file.js';
import { entityState } from './entities.js';
import type { FigureSampler, SiblingView } from './figures.js';
import { MqttEntities } from './mqtt-entities.js';
import { HaNotifier } from './notifier.js';
import { RestEntities } from './rest-entities.js';
import type { Siblings } from './siblings.js';

export interface ReporterOptions {
  sampler: FigureSampler;
  siblings: Siblings;
  supervisor: Pick<SupervisorClient, 'mqttService' | 'coreRequest'>;
  log: Logger;
  /** Makes the log redact a value wherever it appears: the broker's password. */
  addSecret?: (secret: string) => void;
  /** `<data dir>/alerts.json`: the raised alerts, so a restart neither repeats nor loses them. */
  stateFile: string;
  /** Option `notifications`. */
  notifications: boolean;
  /** Option `notify_after_s`, in ms: the grace before an alert is raised, and before a raised one clears. */
  graceMs: number;
  /** Option `ha_entities`. */
  entities: boolean;
  /** Option `ha_entities_interval_s`, in ms. */
  entityIntervalMs: number;
  /** Target auto: the HomeIQ InfluxDB add-on's figures exist. */
  sibling: boolean;
  localAddress: string | undefined;
  tickMs?: number;
  /** How often the InfluxDB add-on's summary is read; default: the entities' interval. */
  siblingEveryMs?: number;
  linksEveryMs?: number;
}

export interface ReporterStatus {
  entities: 'mqtt' | 'rest' | 'off';
  mqtt: { connected: boolean; dropped: number } | null;
  alerts: Array<{ id: string; title: string; shown: boolean }>;
}

/**
 * Tells the user inside Home Assistant: every second it samples HomeIQ's figures, judges them into alerts
 * (AlertTracker's grace and clear periods), keeps HA's persistent notifications equal to the raised alerts, and
 * every `entityIntervalMs` updates the HomeIQ entities: by MQTT discovery when the Supervisor offers a broker,
 * otherwise as REST-set states.
 */
export class Reporter implements Service {
  readonly name = 'home assistant reporting';
  readonly #tracker: AlertTracker;
  readonly #notifier: HaNotifier;
  #sink: MqttEntities | RestEntities | undefined;
  #timers: NodeJS.Timeout[] = [];
  #sibling: SiblingView | undefined;
  #lastPublish = 0;
  #saving: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ReporterOptions) {
    this.#tracker = new AlertTracker(opts.graceMs, opts.graceMs);
    this.#notifier = new HaNotifier({
      log: opts.log,
      updateEveryMs: opts.graceMs,
      onDismissed: (id) => this.#tracker.dismiss(id),
    });
  }

  status(): ReporterStatus {
    const shown = new Set(this.#tracker.shown().map((a) => a.id));
    return {
      entities: this.#sink instanceof MqttEntities ? 'mqtt' : this.#sink ? 'rest' : 'off',
      mqtt: this.#sink instanceof MqttEntities ? this.#sink.stats() : null,
      alerts: this.#tracker.raised().map((a) => ({ id: a.id, title: a.title, shown: shown.has(a.id) })),
    };
  }

  /** Every HA connection: notifications are put right, REST-set entities set again (HA may have restarted). */
  onConnected(session: HaSession): void {
    this.#notifier.onConnected(session);
    if (this.#sink instanceof RestEntities) this.#sink.republish();
  }

  async start(): Promise<void> {
    const o = this.opts;
    const restored = await readAlertsFile(o.stateFile, o.log);
    if (restored) this.#tracker.restore(restored);
    await o.siblings.refresh();
    this.#sink = o.entities ? await this.#chooseSink() : undefined;
    await this.#sink?.start();
    this.#every(o.tickMs ?? 1000, () => this.#tick());
    if (o.sibling) {
      const read = async (): Promise<void> => {
        this.#sibling = await o.siblings.influxdb();
      };
      void read();
      this.#every(o.siblingEveryMs ?? o.entityIntervalMs, read);
    }
    this.#every(o.linksEveryMs ?? 300_000, () => o.siblings.refresh());
    this.#tick();
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await this.#sink?.stop();
    await this.#saving;
    await this.#save();
  }

  #every(ms: number, fn: () => unknown): void {
    let busy = false;
    const t = setInterval(() => {
      if (busy) return;
      busy = true;
      void Promise.resolve()
        .then(fn)
        .catch((err: unknown) => this.opts.log.warn(`reporting: ${(err as Error).message}`))
        .finally(() => {
          busy = false;
        });
    }, ms);
    t.unref();
    this.#timers.push(t);
  }

  #tick(): void {
    const now = Date.now();
    const f = this.opts.sampler.sample(now, this.opts.sibling ? this.#sibling : undefined);
    const raisedIds = new Set(this.#tracker.raised().map((a) => a.id));
    this.#tracker.update(now, detectAlerts(f, raisedIds, this.opts.siblings.links()));
    if (this.#tracker.takeDirty()) this.#saving = this.#saving.then(() => this.#save());
    void this.#notifier.sync(this.opts.notifications ? this.#tracker.shown() : [], now);
    if (this.#sink && now - this.#lastPublish >= this.opts.entityIntervalMs) {
      this.#lastPublish = now;
      this.#sink.publish(entityState(f, this.#tracker.raised()));
    }
  }

  async #chooseSink(): Promise<MqttEntities | RestEntities> {
    const o = this.opts;
    const rest = (why: string): RestEntities => {
      o.log.info(`HomeIQ entities are set as plain Home Assistant states (no unique ids): ${why}`);
      return new RestEntities({ supervisor: o.supervisor, log: o.log, siblingFigures: o.sibling });
    };
    let broker: Awaited<ReturnType<typeof o.supervisor.mqttService>>;
    try {
      broker = await o.supervisor.mqttService();
    } catch (err) {
      return rest(`the Supervisor did not say whether there is an MQTT broker (${(err as Error).message})`);
    }
    if (!broker) return rest('no MQTT broker add-on is installed');
    if (broker.password) o.addSecret?.(broker.password);
    if (broker.ssl) return rest(`the MQTT broker ${broker.host}:${broker.port} wants TLS, which HomeIQ does not speak`);
    o.log.info(`HomeIQ entities go to Home Assistant by MQTT discovery through ${broker.host}:${broker.port}`);
    return new MqttEntities({
      broker,
      localAddress: o.localAddress,
      log: o.log,
      device: () => o.siblings.device(),
      siblingFigures: o.sibling,
    });
  }

  #save(): Promise<void> {
    return writeAlertsFile(this.opts.stateFile, this.#tracker.persisted(), this.opts.log);
  }
}
