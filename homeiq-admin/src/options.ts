import { logLevelSchema } from '@homeiq/shared';
import * as z from 'zod';

/** Mirrors `config.yaml` `schema`; the Supervisor checks the same rules before we start. */
export const adminOptionsSchema = z.object({
  log_level: logLevelSchema,
});

export type AdminOptions = z.infer<typeof adminOptionsSchema>;
