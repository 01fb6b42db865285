import { SiblingIdentity as SharedSiblingIdentity, type AddonSlug, type IdentitySupervisor } from '@homeiq/shared';

export { normalizeAddress } from '@homeiq/shared';

/** The siblings that may call our API. */
export const CALLERS = ['homeiq-ingestor', 'homeiq-admin'] as const satisfies readonly AddonSlug[];
export type Caller = (typeof CALLERS)[number];

/** The shared Supervisor-backed identity check (shared/src/sibling-identity.ts), from the influxdb add-on's side. */
export class SiblingIdentity extends SharedSiblingIdentity<Caller> {
  constructor(supervisor: IdentitySupervisor) {
    super(supervisor, 'homeiq-influxdb', CALLERS);
  }
}
