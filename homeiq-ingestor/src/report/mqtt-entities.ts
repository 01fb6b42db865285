import type { Logger, MqttServiceInfo } from '@homeiq/shared';
import { MqttClient } from '../mqtt/client.js';
import { ENTITIES, type EntityDef, type EntityState } from './entities.js';

/** HA's default discovery prefix; HA says `online` on `<prefix>/status` when it (re)connects to the broker. */
const DISCOVERY_PREFIX = 'homeassistant';
const BASE = 'homeiq';
export const AVAILABILITY_TOPIC = `${BASE}/availability`;
export const STATE_TOPIC = `${BASE}/state`;
const BIRTH_TOPIC = `${DISCOVERY_PREFIX}/status`;

/** The HomeIQ device as Home Assistant lists it; read when (re)connecting. */
export interface DeviceInfo {
  version: string;
  /** `homeassistant://hassio/ingress/<admin slug>`: the device page links to the panel. */
  configurationUrl: string | undefined;
}

export interface MqttEntitiesOptions {
  broker: MqttServiceInfo;
  localAddress?: string | undefined;
  log: Logger;
  device: () => DeviceInfo;
  /** Publish the figures only the HomeIQ InfluxDB add-on has (target auto). */
  siblingFigures: boolean;
}

export const discoveryTopic = (e: EntityDef): string => `${DISCOVERY_PREFIX}/${e.component}/${BASE}/${e.key}/config`;

/** The discovery config of one entity: everything reads the one retained state JSON. */
export function discoveryConfig(e: EntityDef, device: DeviceInfo): Record<string, unknown> {
  return {
    name: e.name,
    unique_id: `${BASE}_${e.key}`,
    state_topic: STATE_TOPIC,
    value_template: `{{ value_json.${e.key} }}`,
    ...(e.attributes
      ? {
          json_attributes_topic: STATE_TOPIC,
          json_attributes_template: `{{ value_json.attributes.${e.key} | tojson }}`,
        }
      : {}),
    availability_topic: AVAILABILITY_TOPIC,
    ...(e.component === 'binary_sensor' ? { payload_on: 'ON', payload_off: 'OFF' } : {}),
    ...(e.deviceClass ? { device_class: e.deviceClass } : {}),
    ...(e.unit ? { unit_of_measurement: e.unit } : {}),
    ...(e.stateClass ? { state_class: e.stateClass } : {}),
    ...(e.precision !== undefined ? { suggested_display_precision: e.precision } : {}),
    ...(e.icon ? { icon: e.icon } : {}),
    ...(e.options ? { options: e.options } : {}),
    device: {
      identifiers: [BASE],
      name: 'HomeIQ',
      manufacturer: 'HomeIQ',
      model: 'HomeIQ Ingestor',
      sw_version: device.version,
      ...(device.configurationUrl ? { configuration_url: device.configurationUrl } : {}),
    },
    origin: { name: 'HomeIQ', sw_version: device.version, support_url: 'https://github.com/homeiq/homeiq-addons' },
  };
}

/**
 * HomeIQ's entities through MQTT discovery, on the broker the Supervisor offers. Discovery configs, the state
 * JSON and `online` are retained, and published again on every connect and whenever Home Assistant announces
 * itself (`homeassistant/status` = `online`), so entities come back after a restart of either side. The will
 * (retained `offline`) makes them unavailable when the ingestor dies; a clean stop publishes it itself.
 */
export class MqttEntities {
  readonly name = 'home assistant entities (mqtt)';
  readonly #client: MqttClient;
  #latest: string | undefined;

  constructor(private readonly opts: MqttEntitiesOptions) {
    this.#client = new MqttClient({
      host: opts.broker.host,
      port: opts.broker.port,
      username: opts.broker.username,
      password: opts.broker.password,
      clientId: 'homeiq-ingestor',
      will: { topic: AVAILABILITY_TOPIC, payload: 'offline', retain: true },
      subscriptions: [BIRTH_TOPIC],
      localAddress: opts.localAddress,
      log: opts.log,
      onConnected: () => this.#announce(),
      onMessage: (topic, payload) => {
        if (topic === BIRTH_TOPIC && payload === 'online') this.#announce();
      },
    });
  }

  stats(): { connected: boolean; dropped: number } {
    const s = this.#client.stats();
    return { connected: s.connected, dropped: s.dropped };
  }

  async start(): Promise<void> {
    this.#client.start();
  }

  publish(state: EntityState): void {
    this.#latest = JSON.stringify({ ...state.values, attributes: state.attributes });
    if (this.#client.connected) this.#client.publish(STATE_TOPIC, this.#latest, true);
  }

  async stop(): Promise<void> {
    if (this.#client.connected) this.#client.publish(AVAILABILITY_TOPIC, 'offline', true);
    await this.#client.stop();
  }

  #announce(): void {
    const device = this.opts.device();
    for (const e of ENTITIES) {
      // An empty retained config removes the entity: an external InfluxDB has no disk use to show.
      const wanted = !e.sibling || this.opts.siblingFigures;
      this.#client.publish(discoveryTopic(e), wanted ? JSON.stringify(discoveryConfig(e, device)) : '', true);
    }
    this.#client.publish(AVAILABILITY_TOPIC, 'online', true);
    if (this.#latest) this.#client.publish(STATE_TOPIC, this.#latest, true);
  }
}
