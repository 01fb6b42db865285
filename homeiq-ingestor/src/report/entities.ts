import type { HealthCheck } from '@homeiq/shared';
import type { Alert } from './alerts.js';
import type { Figures } from './figures.js';

/** One HomeIQ entity in Home Assistant, whichever way it gets there (MQTT discovery or REST-set state). */
export interface EntityDef {
  /** `events_per_second`: the MQTT unique id is `homeiq_<key>`, the key in the state JSON is `<key>`. */
  key: string;
  component: 'sensor' | 'binary_sensor';
  name: string;
  deviceClass?: string;
  unit?: string;
  stateClass?: 'measurement';
  precision?: number;
  icon?: string;
  options?: readonly string[];
  /** Only with the HomeIQ InfluxDB add-on (target auto): an external InfluxDB has no such figure. */
  sibling?: boolean;
  /** Has extra attributes (`EntityState.attributes[key]`). */
  attributes?: boolean;
}

export const INFLUXDB_STATUSES = ['ok', 'degraded', 'failing', 'unreachable'] as const;

export const ENTITIES: readonly EntityDef[] = [
  {
    key: 'ingestion_problem',
    component: 'binary_sensor',
    name: 'Ingestion problem',
    deviceClass: 'problem',
    attributes: true,
  },
  {
    key: 'events_per_second',
    component: 'sensor',
    name: 'Events per second',
    unit: 'events/s',
    stateClass: 'measurement',
    precision: 1,
    icon: 'mdi:swap-horizontal',
  },
  {
    key: 'last_event_age',
    component: 'sensor',
    name: 'Last event age',
    deviceClass: 'duration',
    unit: 's',
    stateClass: 'measurement',
    precision: 0,
  },
  {
    key: 'spool_backlog',
    component: 'sensor',
    name: 'Spool backlog',
    deviceClass: 'data_size',
    unit: 'B',
    stateClass: 'measurement',
    precision: 0,
    attributes: true,
  },
  {
    key: 'spool_backlog_age',
    component: 'sensor',
    name: 'Spool backlog age',
    deviceClass: 'duration',
    unit: 's',
    stateClass: 'measurement',
    precision: 0,
  },
  {
    key: 'quarantined_points',
    component: 'sensor',
    name: 'Quarantined points',
    unit: 'points',
    stateClass: 'measurement',
    icon: 'mdi:package-variant-closed-remove',
  },
  {
    key: 'influxdb_status',
    component: 'sensor',
    name: 'InfluxDB status',
    deviceClass: 'enum',
    options: INFLUXDB_STATUSES,
    icon: 'mdi:database-check',
    attributes: true,
  },
  {
    key: 'influxdb_disk_use',
    component: 'sensor',
    name: 'InfluxDB disk use',
    deviceClass: 'data_size',
    unit: 'B',
    stateClass: 'measurement',
    precision: 0,
    sibling: true,
  },
  {
    key: 'last_downsampling_run',
    component: 'sensor',
    name: 'Last downsampling run',
    deviceClass: 'timestamp',
    sibling: true,
    attributes: true,
  },
];

/** The entity ids HomeIQ's entities have in Home Assistant, by MQTT discovery (`homeiq_`) or REST (`homeiq_rest_`). */
export function reportedEntityIds(): Set<string> {
  return new Set(ENTITIES.flatMap((e) => [`${e.component}.homeiq_${e.key}`, `${e.component}.homeiq_rest_${e.key}`]));
}

/** Entity values (null = unknown) and extra attributes, by key; what MQTT publishes as one JSON. */
export interface EntityState {
  values: Record<string, string | number | null>;
  attributes: Record<string, Record<string, unknown>>;
}

const describe = (c: HealthCheck): string => `${c.name}: ${c.status}, ${c.reason}`;

/** The entities' values from one sample; `raised` are the alerts raised now (shown or dismissed by the user). */
export function entityState(f: Figures, raised: readonly Alert[]): EntityState {
  const bad = f.health.checks.filter((c) => c.status !== 'green');
  const writes = f.health.checks.find((c) => c.name === 'influxdb-writes');
  const sib = f.influxdb;
  const sibBad = sib?.ok ? sib.summary.health.checks.filter((c) => c.status !== 'green') : [];
  let status: (typeof INFLUXDB_STATUSES)[number] | null;
  if (writes?.status === 'red') status = 'failing';
  else if (sib && !sib.ok) status = 'unreachable';
  else if (writes?.status === 'amber' || sibBad.length > 0) status = 'degraded';
  else status = writes || sib ? 'ok' : null;
  const reasons = [
    ...(writes && writes.status !== 'green' ? [writes.reason] : []),
    ...(sib && !sib.ok ? [`HomeIQ InfluxDB add-on: ${sib.error}`] : []),
    ...sibBad.map((c) => `HomeIQ InfluxDB add-on: ${c.reason}`),
  ];
  const ds = sib?.ok ? sib.summary.downsampling : null;
  const round = (n: number | undefined, digits: number): number | null =>
    n === undefined ? null : Math.round(n * 10 ** digits) / 10 ** digits;
  return {
    values: {
      ingestion_problem: bad.length > 0 || raised.length > 0 ? 'ON' : 'OFF',
      events_per_second: round(f.eventsPerSecond, 2),
      last_event_age: round(f.lastEventAgeS, 0),
      spool_backlog: f.spool.settledBytes,
      spool_backlog_age: round(f.spool.settledAgeS, 0),
      quarantined_points: f.quarantine.count,
      influxdb_status: status,
      influxdb_disk_use: sib?.ok ? sib.summary.diskBytes : null,
      last_downsampling_run: ds?.lastRunAt ?? null,
    },
    attributes: {
      ingestion_problem: { problems: raised.map((a) => a.title), checks: bad.map(describe) },
      influxdb_status: {
        reason: reasons.length > 0 ? reasons.join('; ') : status === 'ok' ? 'writing to InfluxDB' : '',
      },
      last_downsampling_run: {
        task: ds?.lastRunTask ?? null,
        status: ds?.lastRunStatus ?? null,
        failed_tasks: ds?.failed ?? null,
      },
      spool_backlog: { spool_max_bytes: f.spool.maxBytes, full: f.spool.full },
    },
  };
}
