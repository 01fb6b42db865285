import * as z from 'zod';

/**
 * The process environment an add-on depends on, parsed once at the edge.
 * Production values come from the Supervisor; tests and `npm start` point them at the emulator.
 */
export interface RuntimeEnv {
  supervisorUrl: string;
  supervisorToken: string;
  dataDir: string;
  /** Address to listen on; when it is a specific address, outgoing sibling connections bind to it too. */
  bindHost: string;
  /** Set only when bindHost names one address (not 0.0.0.0 / ::). */
  localAddress: string | undefined;
}

const envSchema = z.object({
  SUPERVISOR_TOKEN: z
    .string({ error: 'is not set; the Supervisor injects it into every add-on (set it by hand only in development)' })
    .min(1, 'is empty; the Supervisor injects it into every add-on'),
  HOMEIQ_SUPERVISOR_URL: z.url('must be an http(s) URL such as http://supervisor').default('http://supervisor'),
  HOMEIQ_DATA_DIR: z.string().min(1, 'must be a directory path').default('/data'),
  HOMEIQ_BIND_HOST: z.string().min(1, 'must be an IP address such as 0.0.0.0').default('0.0.0.0'),
});

export class EnvError extends Error {
  override readonly name = 'EnvError';
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

/** Parses the add-on's environment; throws {@link EnvError} with one line naming each bad variable. */
export function readRuntimeEnv(env: NodeJS.ProcessEnv): RuntimeEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`);
    throw new EnvError(`Invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    supervisorUrl: e.HOMEIQ_SUPERVISOR_URL.replace(/\/+$/, ''),
    supervisorToken: e.SUPERVISOR_TOKEN,
    dataDir: e.HOMEIQ_DATA_DIR,
    bindHost: e.HOMEIQ_BIND_HOST,
    localAddress: WILDCARD.has(e.HOMEIQ_BIND_HOST) ? undefined : e.HOMEIQ_BIND_HOST,
  };
}
