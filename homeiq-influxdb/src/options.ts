import { logLevelSchema } from '@homeiq/shared';
import * as z from 'zod';
import { MEMORY_PROFILES } from './influxd/memory-profile.js';

/** Same rules as config.yaml `schema` (`match(...)`): a letter or digit first, no leading `_` (InfluxDB system buckets). */
const ORG = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const CHARS = "letters, digits, '_', '-' or '.'";

/** Days to keep data; 0 keeps it forever. InfluxDB's shortest retention is one hour, so a day is always valid. */
const retentionDays = z
  .number({ error: 'must be a whole number of days (0 keeps data forever)' })
  .int('must be a whole number of days (0 keeps data forever)')
  .min(0, 'must be 0 (forever) or more days')
  .max(36500, 'must be at most 36500 days (100 years); use 0 to keep data forever');

/** Mirrors `config.yaml` `schema`; the Supervisor checks the same rules before we start. */
export const influxdbOptionsSchema = z.object({
  log_level: logLevelSchema,
  org: z.string().regex(ORG, `must be 1–64 ${CHARS} or spaces, starting with a letter or digit`),
  bucket: z.string().regex(BUCKET, `must be 1–64 ${CHARS}, starting with a letter or digit`),
  retention_days: retentionDays,
  retention_5m_days: retentionDays,
  retention_1h_days: retentionDays,
  memory_profile: z.enum(MEMORY_PROFILES, { error: `must be one of ${MEMORY_PROFILES.join(', ')}` }).default('small'),
});

export type InfluxdbOptions = z.infer<typeof influxdbOptionsSchema>;

const DAY_SECONDS = 86_400;

export function daysToSeconds(days: number): number {
  return days * DAY_SECONDS;
}

/** Whole days of a retention in seconds (0 = forever); rounds up so a 36 h retention reads as 2 days. */
export function secondsToDays(seconds: number): number {
  return Math.ceil(seconds / DAY_SECONDS);
}
