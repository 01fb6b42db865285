import { logLevelSchema } from '@homeiq/shared';
import { z } from 'zod';

const domain = z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be a Home Assistant domain such as sensor');
const glob = z.string().regex(/^[a-z0-9_.*?]{1,255}$/, 'must be an entity id or a glob such as sensor.*_battery');

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
        .refine((t) => t !== 'state_changed', 'state_changed is always recorded; remove it from the list'),
    ),
    target: z.enum(['auto', 'external']).default('auto'),
    external: z
      .object({
        url: z.url('must be an http(s) URL such as https://influx.example.com:8086').optional(),
        org: z.string().min(1).optional(),
        bucket: z.string().min(1).optional(),
        token: z.string().min(1).optional(),
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
    if (o.target !== 'external') return;
    for (const key of ['url', 'org', 'bucket', 'token'] as const) {
      if (!o.external[key])
        ctx.addIssue({ code: 'custom', path: ['external', key], message: 'is required when target is external' });
    }
  });

export type IngestorOptions = z.infer<typeof ingestorOptionsSchema>;
