/**
 * What the migration tests share: the ingestor's migration API as the admin sibling calls it, and the points
 * of HA's series read back from a source (InfluxDB 1.x through InfluxQL, 2.x through Flux) and from HomeIQ's
 * InfluxDB, keyed `entity_id@ns`, to compare per entity.
 */
import { httpRequestRaw } from '@homeiq/shared';
import type { MigrationProbe, MigrationStatus } from '@homeiq/shared/contracts';
import { expect } from 'vitest';
import { isoToNsGeneral } from '../../homeiq-ingestor/src/points/line-protocol.js';
import type { InfluxSetup } from '../../dev/peers/influxd.js';
import type { RealInfluxdb1 } from '../../dev/peers/influxdb1.js';
import type { RegisteredAddon } from '../../dev/supervisor/index.js';
import { startAddon, type AddonProcess } from '../../dev/addon-process.js';
import { flux } from '../../dev/influx-query.js';
import { until } from '../../dev/until.js';

/** A stored value: the field's text and type (`float`, `string`, `boolean`, `integer`). */
export interface Stored {
  state?: string;
  value?: number;
}

/** A new bucket in the influxd HomeIQ writes to. */
export async function createBucket(influx: { url: string }, setup: InfluxSetup, name: string): Promise<void> {
  const res = await fetch(`${influx.url}/api/v2/buckets`, {
    method: 'POST',
    headers: { Authorization: `Token ${setup.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ orgID: setup.orgId, name, retentionRules: [] }),
  });
  if (res.status !== 201) throw new Error(`create bucket ${name}: ${res.status} ${await res.text()}`);
}

/**
 * The ingestor bundle as `addon` (registered with the emulator), writing into `bucket` of `influx` (target
 * external), in a data dir of its own or the one given (a restart); resolves once it started.
 */
export async function startIngestorInto(o: {
  addon: RegisteredAddon;
  influx: { url: string };
  setup: InfluxSetup;
  bucket: string;
  haCompatible?: boolean;
  dataDir?: string;
}): Promise<AddonProcess> {
  const proc = await startAddon({
    name: 'ingestor',
    options: {
      log_level: 'info',
      event_types: [],
      target: 'external',
      external: { url: o.influx.url, org: o.setup.org, bucket: o.bucket, token: o.setup.token },
      ha_compatible: o.haCompatible ?? false,
    },
    env: o.addon.env(),
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
  });
  await proc.waitForLine(/ INFO {2}started$/, 60_000);
  return proc;
}

export class MigrationApi {
  constructor(
    private readonly ingestorIp: string,
    private readonly adminIp: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await httpRequestRaw(`http://${this.ingestorIp}:8325${path}`, {
      method,
      localAddress: this.adminIp,
      timeoutMs: 180_000,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    });
    const text = res.body.toString('utf8');
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  status(): Promise<MigrationStatus> {
    return this.call<MigrationStatus>('GET', '/api/migration').then((r) => r.body);
  }

  probe(source: unknown): Promise<{ status: number; body: MigrationProbe & { error?: string } }> {
    return this.call('POST', '/api/migration/probe', { source });
  }

  start(body: unknown): Promise<{ status: number; body: MigrationStatus & { error?: string } }> {
    return this.call('POST', '/api/migration', body);
  }

  /** Waits until the migration's status passes `ok` (default: done); fails with the status and the add-on's log. */
  until(
    proc: AddonProcess | undefined,
    ok: (s: MigrationStatus) => boolean = (s) => s.state === 'done',
    ms = 120_000,
  ): Promise<MigrationStatus> {
    return until('the migration', () => this.status(), {
      ok,
      ms,
      everyMs: 200,
      context: () => `--- ingestor output ---\n${proc?.lines.slice(-40).join('\n') ?? ''}`,
    });
  }
}

const ns = (iso: string): string => {
  const v = isoToNsGeneral(iso);
  if (v === undefined) throw new Error(`not a time: ${iso}`);
  return v;
};

function put(out: Map<string, Stored>, key: string, field: string, v: unknown): void {
  const p = out.get(key) ?? {};
  if (field === 'state') p.state = String(v);
  else p.value = Number(v);
  out.set(key, p);
}

/** HA's `state` and `value` per point of a 1.x database: `domain.object_id@ns`. */
export async function v1Points(db: RealInfluxdb1, database: string): Promise<Map<string, Stored>> {
  const out = new Map<string, Stored>();
  const [r] = await db.query(
    `SELECT "state", "value" FROM /.*/ WHERE "entity_id" != '' GROUP BY "domain", "entity_id"`,
    {
      db: database,
    },
  );
  for (const s of r?.series ?? []) {
    const id = `${s.tags?.['domain']}.${s.tags?.['entity_id']}`;
    for (const row of s.values) {
      const key = `${id}@${ns(String(row[0]))}`;
      if (row[1] !== null) put(out, key, 'state', row[1]);
      if (row[2] !== null) put(out, key, 'value', row[2]);
    }
  }
  return out;
}

/** The same from a 2.x bucket (HA's schema) or from HomeIQ's layout (`entity_id` is the full id there). */
export async function v2Points(
  target: { url: string; org: string; token: string },
  bucket: string,
  layout: 'ha' | 'homeiq',
): Promise<Map<string, Stored>> {
  const rows = await flux(
    target.url,
    target.org,
    target.token,
    `from(bucket: "${bucket}") |> range(start: 0) |> filter(fn: (r) => exists r.entity_id and (r._field == "state" or r._field == "value"))`,
  );
  const out = new Map<string, Stored>();
  for (const r of rows) {
    const id = layout === 'ha' ? `${r['domain']}.${r['entity_id']}` : (r['entity_id'] ?? '');
    put(out, `${id}@${ns(r['_time'] ?? '')}`, r['_field'] ?? '', r['_value']);
  }
  return out;
}

export function perEntity(m: Map<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of m.keys()) {
    const e = k.slice(0, k.indexOf('@'));
    out[e] = (out[e] ?? 0) + 1;
  }
  return out;
}

/**
 * Per entity, the same points at the same times with the same values: HA's `value` is HomeIQ's `value`, HA's
 * `state` (or, for a number, the number as text) is HomeIQ's `state`.
 */
export function expectMigrated(source: Map<string, Stored>, homeiq: Map<string, Stored>): void {
  expect(source.size, 'the source holds points').toBeGreaterThan(0);
  expect(perEntity(homeiq)).toEqual(perEntity(source));
  const wrong: string[] = [];
  for (const [key, s] of source) {
    const h = homeiq.get(key);
    const state = s.state ?? (s.value === undefined ? undefined : String(s.value));
    if (!h || h.state !== state || (s.value !== undefined && h.value !== s.value))
      wrong.push(`${key}: source ${JSON.stringify(s)}, HomeIQ ${JSON.stringify(h)}`);
  }
  expect(wrong.slice(0, 10), `${wrong.length} points differ`).toEqual([]);
}
