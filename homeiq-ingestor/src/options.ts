import { logLevelSchema } from '@homeiq/shared';
import * as z from 'zod';

const domain = z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be a Home Assistant domain such as sensor');
const glob = z.string().regex(/^[a-z0-9_.*?]{1,255}$/, 'must be an entity id or a glob such as sensor.*_battery');
/**
 * zod's URL alone takes any scheme, so `a0d7b954-influxdb:8086` (no `http://`) would pass and every write fail.
 * Credentials in it would be shown by the log, `/api/status` and the panel, which print the URL.
 */
const influxUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://influx.example.com:8086' })
  .refine((u) => {
    const parsed = new URL(u);
    return parsed.username === '' && parsed.password === '';
  }, 'must not contain a user name or password; set external.username and external.password (InfluxDB 1.x) or external.token instead');

/** Mirrors `config.yaml` `schema`; the Supervisor checks the same rules before we start. Defaults = config.yaml `options`. */
export const ingestorOptionsSchema = z
  .object({
    log_level: logLevelSchema,
    event_types: z.array(
      z
        .string()
        .regex(
          /^[a-z0-9_]{1,64}$/,
          'must be a Home Assistant event type such as call_service (lowercase letters, digits, _)',
        )
        .refine((t) => t !== 'state_changed', 'state_changed is always recorded; remove it from the list')
        .refine(
          (t) => t !== 'state_reported',
          'Home Assistant does not let add-ons subscribe to state_reported; remove it and set state_reports_interval_s instead',
        ),
    ),
    target: z.enum(['auto', 'external']).default('auto'),
    /** InfluxDB 2.x: url, org, bucket, token. InfluxDB 1.x: url, database (+ retention_policy, username, password). */
    external: z
      .object({
        url: influxUrl.optional(),
        org: z.string().min(1).optional(),
        bucket: z.string().min(1).optional(),
        token: z.string().min(1).optional(),
        database: z.string().min(1).max(255).optional(),
        retention_policy: z.string().min(1).max(255).optional(),
        username: z.string().min(1).max(255).optional(),
        password: z.string().min(1).optional(),
      })
      .default({}),
    batch_size: z.number().int().min(1).max(50_000).default(5000),
    batch_max_kib: z.number().int().min(16).max(65_536).default(1024),
    flush_interval_ms: z.number().int().min(10).max(60_000).default(1000),
    spool_max_mb: z.number().int().min(16).max(1_048_576).default(1024),
    /** Seconds between self-telemetry points (measurement homeiq_ingestor); 0 = off. */
    telemetry_interval_s: z.number().int().min(0).max(3600).default(60),
    ha_compatible: z.boolean().default(false),
    /** First-install import of the last N days of HA's recorder history; 0 = off. */
    history_import_days: z.number().int().min(0).max(3650).default(0),
    /** Do not write HA restart artefacts (re-added entities equal to what we last wrote). */
    skip_restart_duplicates: z.boolean().default(true),
    /** Seconds between looks for states reported unchanged (HA 2024.4+ `last_reported`); 0 = off. */
    state_reports_interval_s: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .refine(
        (s) => s === 0 || s >= 10,
        'must be 0 (off) or at least 10 seconds: each look is a pass over every state inside Home Assistant',
      )
      .default(0),
    /** Home Assistant persistent notifications while a problem puts data at risk. */
    notifications: z.boolean().default(true),
    /** How long a problem must last before it is notified, and be over before the notification goes. */
    notify_after_s: z.number().int().min(5).max(86_400).default(120),
    /** HomeIQ's figures as Home Assistant entities (MQTT discovery, or REST-set states without a broker). */
    ha_entities: z.boolean().default(true),
    /** Seconds between entity updates. */
    ha_entities_interval_s: z.number().int().min(5).max(3600).default(30),
    include: z
      .object({ domains: z.array(domain).default([]), entity_globs: z.array(glob).default([]) })
      .default({ domains: [], entity_globs: [] }),
    exclude: z
      .object({
        domains: z.array(domain).default([]),
        entity_globs: z.array(glob).default([]),
        attributes: z.array(z.string().min(1).max(255)).default([]),
      })
      .default({ domains: [], entity_globs: [], attributes: [] }),
  })
  .superRefine((o, ctx) => {
    const e = o.external;
    const issue = (key: keyof typeof e, message: string): void =>
      ctx.addIssue({ code: 'custom', path: ['external', key], message });
    const v1 = e.database !== undefined;
    if (!v1) {
      for (const key of ['retention_policy', 'username', 'password'] as const)
        if (e[key] !== undefined) issue(key, 'is for InfluxDB 1.x and needs external.database too');
    }
    if (o.target !== 'external') return;
    if (!e.url) issue('url', 'is required when target is external');
    if (v1) {
      for (const key of ['org', 'bucket', 'token'] as const)
        if (e[key] !== undefined)
          issue(
            key,
            'is for InfluxDB 2.x; with external.database (InfluxDB 1.x) leave org, bucket and token out, or remove database',
          );
      if ((e.username === undefined) !== (e.password === undefined)) {
        const [missing, given] =
          e.username === undefined ? (['username', 'password'] as const) : (['password', 'username'] as const);
        issue(
          missing,
          `is missing: set it with external.${given}, or leave both out when InfluxDB 1.x has no authentication`,
        );
      }
      return;
    }
    for (const key of ['org', 'bucket', 'token'] as const) {
      if (!e[key])
        issue(key, 'is required when target is external (or set external.database for an InfluxDB 1.x database)');
    }
  });

export type IngestorOptions = z.infer<typeof ingestorOptionsSchema>;
