import { logLevelSchema } from '@homeiq/shared';
import { z } from 'zod';

/** Mirrors `config.yaml` `schema`; the Supervisor checks the same rules before we start. */
export const ingestorOptionsSchema = z.object({
  log_level: logLevelSchema,
  event_types: z.array(
    z
      .string()
      .regex(/^[a-z0-9_]{1,64}$/, 'must be a Home Assistant event type such as call_service (lowercase letters, digits, _)')
      .refine((t) => t !== 'state_changed', 'state_changed is always recorded; remove it from the list'),
  ),
});

export type IngestorOptions = z.infer<typeof ingestorOptionsSchema>;
