// The handful of services the simulator implements: the input helpers,
// counter, light/switch/climate basics, homeassistant.* and persistent_notification.*. Each one changes
// states (or notifications) the way the real integration does.

import { PersistentNotifications } from './notifications';
import type { Registries } from './registries';
import { CommandError, isDict } from './schema';
import { domainOf, type StateMachine, type StateRecord } from './states';
import type { Attributes, Context } from './types';

type Handler = (
  state: StateRecord,
  data: Record<string, unknown>,
) => { state: string; attributes: Attributes } | undefined;

interface ServiceDef {
  fields: string[];
  handler: Handler;
}

const keep = (s: StateRecord, state: string, patch: Attributes = {}) => ({
  state,
  attributes: { ...s.attributes, ...patch },
});
const num = (v: unknown, name: string): number => {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || Number.isNaN(n))
    throw new CommandError('invalid_format', `expected float for dictionary value @ data['${name}']`);
  return n;
};
/** Python `str(float)` for the values helpers produce. */
export const pyFloat = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n));

const onOff = (
  turnOn: (s: StateRecord, d: Record<string, unknown>) => Attributes = () => ({}),
): Record<string, ServiceDef> => ({
  turn_on: { fields: [], handler: (s, d) => keep(s, 'on', turnOn(s, d)) },
  turn_off: { fields: [], handler: (s) => keep(s, 'off') },
  toggle: { fields: [], handler: (s, d) => (s.state === 'on' ? keep(s, 'off') : keep(s, 'on', turnOn(s, d))) },
});

function setNumber(s: StateRecord, value: number) {
  const min = Number(s.attributes['min'] ?? 0);
  const max = Number(s.attributes['max'] ?? 100);
  if (value < min || value > max) {
    throw new CommandError(
      'invalid_format',
      `Invalid value for ${s.entityId}: ${value} (range ${pyFloat(min)} - ${pyFloat(max)})`,
    );
  }
  return keep(s, pyFloat(value));
}

function selectIndex(s: StateRecord, pick: (options: string[], current: number) => number) {
  const options = (s.attributes['options'] as string[] | undefined) ?? [];
  const next = options[pick(options, options.indexOf(s.state))];
  return next === undefined ? undefined : keep(s, next);
}

function counterSet(s: StateRecord, value: number) {
  const min = s.attributes['minimum'] as number | null | undefined;
  const max = s.attributes['maximum'] as number | null | undefined;
  if ((min !== null && min !== undefined && value < min) || (max !== null && max !== undefined && value > max)) {
    throw new CommandError(
      'service_validation_error',
      `Validation error: Value ${value} for ${s.entityId} exceeding the limits`,
    );
  }
  return keep(s, String(value));
}

const DOMAINS: Record<string, Record<string, ServiceDef>> = {
  input_boolean: onOff(),
  switch: onOff(),
  light: onOff((s, d) => {
    const patch: Attributes = { brightness: (s.attributes['brightness'] as number | null) ?? 255 };
    if (d['brightness'] !== undefined) patch['brightness'] = num(d['brightness'], 'brightness');
    if (d['brightness_pct'] !== undefined)
      patch['brightness'] = Math.round((num(d['brightness_pct'], 'brightness_pct') * 255) / 100);
    if (Array.isArray(d['rgb_color'])) Object.assign(patch, { rgb_color: d['rgb_color'], color_mode: 'rgb' });
    if (d['color_temp_kelvin'] !== undefined)
      Object.assign(patch, {
        color_temp_kelvin: num(d['color_temp_kelvin'], 'color_temp_kelvin'),
        color_mode: 'color_temp',
      });
    return patch;
  }),
  input_number: {
    set_value: { fields: ['value'], handler: (s, d) => setNumber(s, num(d['value'], 'value')) },
    increment: { fields: [], handler: (s) => setNumber(s, Number(s.state) + Number(s.attributes['step'] ?? 1)) },
    decrement: { fields: [], handler: (s) => setNumber(s, Number(s.state) - Number(s.attributes['step'] ?? 1)) },
  },
  input_select: {
    select_option: {
      fields: ['option'],
      handler: (s, d) => {
        const options = (s.attributes['options'] as string[] | undefined) ?? [];
        const option = String(d['option']);
        if (!options.includes(option)) {
          throw new CommandError(
            'service_validation_error',
            `Validation error: Invalid option: ${option} (possible options: ${options.join(', ')})`,
          );
        }
        return keep(s, option);
      },
    },
    select_next: {
      fields: ['cycle'],
      handler: (s, d) =>
        selectIndex(s, (o, i) => (d['cycle'] === false ? Math.min(i + 1, o.length - 1) : (i + 1) % o.length)),
    },
    select_previous: {
      fields: ['cycle'],
      handler: (s, d) =>
        selectIndex(s, (o, i) => (d['cycle'] === false ? Math.max(i - 1, 0) : (i - 1 + o.length) % o.length)),
    },
    select_first: { fields: [], handler: (s) => selectIndex(s, () => 0) },
    select_last: { fields: [], handler: (s) => selectIndex(s, (o) => o.length - 1) },
  },
  input_text: {
    set_value: {
      fields: ['value'],
      handler: (s, d) => {
        const value = String(d['value'] ?? '');
        const max = Number(s.attributes['max'] ?? 100);
        if (value.length > max)
          throw new CommandError(
            'invalid_format',
            `Invalid value for ${s.entityId}: ${value} (length range 0 - ${max})`,
          );
        return keep(s, value);
      },
    },
  },
  counter: {
    increment: { fields: [], handler: (s) => counterSet(s, Number(s.state) + Number(s.attributes['step'] ?? 1)) },
    decrement: { fields: [], handler: (s) => counterSet(s, Number(s.state) - Number(s.attributes['step'] ?? 1)) },
    reset: { fields: [], handler: (s) => counterSet(s, Number(s.attributes['initial'] ?? 0)) },
    set_value: { fields: ['value'], handler: (s, d) => counterSet(s, num(d['value'], 'value')) },
  },
  climate: {
    set_temperature: {
      fields: ['temperature', 'hvac_mode'],
      handler: (s, d) =>
        keep(s, typeof d['hvac_mode'] === 'string' ? d['hvac_mode'] : s.state, {
          temperature: num(d['temperature'], 'temperature'),
        }),
    },
    set_hvac_mode: { fields: ['hvac_mode'], handler: (s, d) => keep(s, String(d['hvac_mode'])) },
    turn_on: { fields: [], handler: (s) => keep(s, 'heat') },
    turn_off: { fields: [], handler: (s) => keep(s, 'off') },
  },
};

const TARGET_KEYS = ['entity_id', 'device_id', 'area_id', 'floor_id', 'label_id'] as const;
const asList = (v: unknown): string[] =>
  v === undefined || v === null
    ? []
    : Array.isArray(v)
      ? v.map(String)
      : String(v)
          .split(',')
          .map((x) => x.trim());

export interface ServiceCall {
  domain: string;
  service: string;
  serviceData?: Record<string, unknown>;
  target?: Record<string, unknown>;
  context: Context;
}

export class Services {
  constructor(
    private readonly states: StateMachine,
    private readonly registries: Registries,
    private readonly fire: (eventType: string, data: Record<string, unknown>, context: Context) => void,
    private readonly notifications: PersistentNotifications,
  ) {}

  has(domain: string, service: string): boolean {
    if (domain === 'persistent_notification') return PersistentNotifications.has(service);
    return domain === 'homeassistant'
      ? ['turn_on', 'turn_off', 'toggle', 'update_entity'].includes(service)
      : Boolean(DOMAINS[domain]?.[service]);
  }

  /** `get_services`: a small description per service, shaped like HA's. */
  describe(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    const add = (domain: string, service: string, fields: string[], targeted = true) => {
      out[domain] ??= {};
      out[domain][service] = {
        name: service.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
        description: `${service} for ${domain}`,
        fields: Object.fromEntries(fields.map((f) => [f, { required: false, selector: { text: {} } }])),
        ...(targeted ? { target: { entity: [{ domain: domain === 'homeassistant' ? [] : [domain] }] } } : {}),
      };
    };
    for (const [domain, services] of Object.entries(DOMAINS))
      for (const [svc, def] of Object.entries(services)) add(domain, svc, def.fields);
    for (const svc of ['turn_on', 'turn_off', 'toggle', 'update_entity']) add('homeassistant', svc, []);
    for (const [svc, fields] of PersistentNotifications.fields()) add('persistent_notification', svc, fields, false);
    return out;
  }

  /** Runs a service call; returns the states it changed (the REST API's answer). */
  call(call: ServiceCall): StateRecord[] {
    const { domain, service, context } = call;
    if (!this.has(domain, service)) throw new CommandError('not_found', `Service ${domain}.${service} not found.`);
    if (domain === 'persistent_notification') {
      // Its schema is checked before the call_service event, as HA's ServiceRegistry does; no state changes.
      const run = this.notifications.validate(service, { ...(call.serviceData ?? {}) });
      this.fire('call_service', { domain, service, service_data: { ...(call.serviceData ?? {}) } }, context);
      run();
      return [];
    }
    const data = { ...(call.serviceData ?? {}) };
    const target: Record<string, unknown> = isDict(call.target) ? { ...call.target } : {};
    for (const key of TARGET_KEYS) if (key in data) target[key] = data[key];
    this.fire('call_service', { domain, service, service_data: { ...data, ...target } }, context);
    for (const key of TARGET_KEYS) delete data[key];

    const changed: StateRecord[] = [];
    for (const entityId of this.resolve(target, domain)) {
      const current = this.states.get(entityId);
      if (!current) continue;
      const d = domain === 'homeassistant' ? current.domain : domain;
      if (domain === 'homeassistant' && service === 'update_entity') {
        // Re-writing the same state: HA only moves last_reported then.
        changed.push(this.states.set(entityId, current.state, current.attributes as Attributes, { context }));
        continue;
      }
      const handler = DOMAINS[d]?.[service]?.handler;
      const next = handler?.(current, data);
      if (!next) continue;
      const record = this.states.set(entityId, next.state, next.attributes, { context });
      if (record.lastUpdated !== current.lastUpdated) changed.push(record);
    }
    return changed;
  }

  private resolve(target: Record<string, unknown>, domain: string): string[] {
    const ids = new Set<string>();
    const all = this.states.all().map((s) => s.entityId);
    const inDomain = (e: string) => domain === 'homeassistant' || domainOf(e) === domain;
    for (const e of asList(target['entity_id'])) {
      if (e === 'all') for (const x of all.filter(inDomain)) ids.add(x);
      else ids.add(e.toLowerCase());
    }
    const devices = new Set(asList(target['device_id']));
    const areas = new Set(asList(target['area_id']));
    const floors = new Set(asList(target['floor_id']));
    const labels = new Set(asList(target['label_id']));
    if (devices.size || areas.size || floors.size || labels.size) {
      for (const entry of this.registries.entities()) {
        const area = this.registries.areaOfEntity(entry.entity_id);
        const floor = area ? this.registries.floorOfArea(area) : null;
        const hit =
          (entry.device_id !== null && devices.has(entry.device_id)) ||
          (area !== null && areas.has(area)) ||
          (floor !== null && floors.has(floor)) ||
          entry.labels.some((l) => labels.has(l));
        if (hit && entry.hidden_by === null && entry.entity_category === null) ids.add(entry.entity_id);
      }
    }
    return [...ids].filter(inDomain);
  }
}
