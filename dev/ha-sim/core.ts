// The simulated "hass" object: clock, event bus, state machine, recorder,
// registries and services, shared by the WebSocket and REST front ends.

import { EventBus } from './bus';
import { Clock, randomHex, ulidAt } from './clock';
import { Recorder } from './history';
import { PersistentNotifications } from './notifications';
import { Registries } from './registries';
import { Services } from './services';
import { StateMachine } from './states';
import type { Context, DemoHome, HomeConfig } from './types';

export type CoreState = 'NOT_RUNNING' | 'STARTING' | 'RUNNING' | 'STOPPING';

export interface CoreOptions {
  warn: (line: string) => void;
  version: string;
  legacy: boolean;
  historyLimit: number;
  home: DemoHome;
}

const BASE_COMPONENTS = [
  'api',
  'auth',
  'config',
  'frontend',
  'history',
  'http',
  'onboarding',
  'recorder',
  'websocket_api',
  'zone',
];

export class SimCore {
  readonly clock = new Clock();
  readonly bus: EventBus;
  readonly states: StateMachine;
  readonly recorder: Recorder;
  readonly registries: Registries;
  readonly services: Services;
  readonly notifications: PersistentNotifications;
  /** The owner account every valid token belongs to (an admin, as long-lived tokens usually are). */
  readonly userId = randomHex();
  coreState: CoreState = 'NOT_RUNNING';
  private hungUntil = 0;
  private hangTimer: NodeJS.Timeout | undefined;
  private readonly resumeListeners = new Set<() => void>();

  constructor(readonly options: CoreOptions) {
    this.bus = new EventBus(options.warn);
    this.states = new StateMachine(this.clock, this.bus, !options.legacy);
    this.recorder = new Recorder(this.bus, options.historyLimit);
    this.registries = new Registries(this.clock, (type, data) => this.fire(type, data), options.legacy);
    this.notifications = new PersistentNotifications(this.clock, options.legacy);
    this.services = new Services(
      this.states,
      this.registries,
      (type, data, ctx) => this.fire(type, data, ctx),
      this.notifications,
    );
  }

  warn(line: string): void {
    this.options.warn(line);
  }

  get version(): string {
    return this.options.version;
  }

  get homeConfig(): HomeConfig {
    return this.options.home.config;
  }

  fire(eventType: string, data: Record<string, unknown> = {}, context?: Context): void {
    const now = this.clock.now();
    this.bus.fire({
      eventType,
      data,
      origin: 'LOCAL',
      timeFired: now,
      context: context ?? { id: ulidAt(now), parent_id: null, user_id: null },
    });
  }

  /** `ActiveConnection.context`: a fresh context carrying the user. */
  userContext(): Context {
    return { id: ulidAt(this.clock.now()), parent_id: null, user_id: this.userId };
  }

  loadRegistries(): void {
    const { floors, areas, labels, devices, entities } = this.options.home;
    for (const f of floors) this.registries.setFloor(f);
    for (const l of labels) this.registries.setLabel(l);
    for (const a of areas) this.registries.setArea(a);
    for (const d of devices) this.registries.setDevice(d);
    for (const e of entities)
      if (e.registry !== false) this.registries.setEntity({ entity_id: e.entity_id, ...e.registry });
  }

  /** Adds every home entity (old_state null), as HA's integrations do during startup. */
  addHomeStates(): void {
    for (const e of this.options.home.entities) this.states.set(e.entity_id, e.state, e.attributes ?? {});
  }

  /** `hass.config.as_dict()` of the emulated version (2024.3.3 lacks `debug`, `radius` and the area unit). */
  config(): Record<string, unknown> {
    const c = this.homeConfig;
    const domains = new Set(this.options.home.entities.map((e) => e.entity_id.split('.')[0] ?? ''));
    const dirs = ['/config/www', '/media'];
    return {
      allowlist_external_dirs: dirs,
      allowlist_external_urls: [],
      components: [...new Set([...BASE_COMPONENTS, ...domains])].sort(),
      config_dir: '/config',
      config_source: 'storage',
      country: c.country,
      currency: c.currency,
      ...(this.options.legacy ? {} : { debug: false }),
      elevation: c.elevation,
      external_url: null,
      internal_url: null,
      language: c.language,
      latitude: c.latitude,
      location_name: c.location_name,
      longitude: c.longitude,
      ...(this.options.legacy ? {} : { radius: c.radius }),
      recovery_mode: false,
      safe_mode: false,
      state: this.coreState,
      time_zone: c.time_zone,
      unit_system:
        c.unit_system === 'metric'
          ? {
              length: 'km',
              accumulated_precipitation: 'mm',
              ...(this.options.legacy ? {} : { area: 'm²' }),
              mass: 'g',
              pressure: 'Pa',
              temperature: '°C',
              volume: 'L',
              wind_speed: 'm/s',
            }
          : {
              length: 'mi',
              accumulated_precipitation: 'in',
              ...(this.options.legacy ? {} : { area: 'ft²' }),
              mass: 'lb',
              pressure: 'psi',
              temperature: '°F',
              volume: 'gal',
              wind_speed: 'mph',
            },
      version: this.version,
      whitelist_external_dirs: dirs,
    };
  }

  isHung(): boolean {
    return Date.now() < this.hungUntil;
  }

  /** Freezes every front end for `ms`, like a blocked event loop; they catch up afterwards. */
  hang(ms: number): void {
    this.hungUntil = Math.max(this.hungUntil, Date.now() + ms);
    clearTimeout(this.hangTimer);
    this.hangTimer = setTimeout(() => this.resume(), this.hungUntil - Date.now());
  }

  private resume(): void {
    this.hungUntil = 0;
    this.hangTimer = undefined;
    for (const fn of [...this.resumeListeners]) fn();
  }

  onResume(fn: () => void): () => void {
    this.resumeListeners.add(fn);
    return () => this.resumeListeners.delete(fn);
  }

  whenResponsive(): Promise<void> {
    if (!this.isHung()) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onResume(() => {
        off();
        resolve();
      });
    });
  }

  stop(): void {
    clearTimeout(this.hangTimer);
    this.resume();
    this.recorder.stop();
  }
}
