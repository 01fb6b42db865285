import type { AddonSlug } from '@homeiq/shared';

/** The siblings that may call the manager API (each gets its own token; the shared SiblingIdentity checks them). */
export const CALLERS = ['homeiq-ingestor', 'homeiq-admin'] as const satisfies readonly AddonSlug[];
export type Caller = (typeof CALLERS)[number];
