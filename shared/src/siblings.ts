/** Config slugs of the add-ons in this repository. */
export const ADDON_SLUGS = ['homeiq-ingestor', 'homeiq-influxdb', 'homeiq-admin'] as const;
export type AddonSlug = (typeof ADDON_SLUGS)[number];

/**
 * The Supervisor names an installed add-on `<repo>_<config slug>`, where `<repo>` is `local`, `core` or a
 * hash of the repository URL the user added. Siblings share our prefix, so we derive theirs from our own.
 */
export function repositoryPrefix(selfStoreSlug: string, selfConfigSlug: AddonSlug): string {
  const suffix = `_${selfConfigSlug}`;
  if (!selfStoreSlug.endsWith(suffix) || selfStoreSlug.length === suffix.length) {
    throw new Error(
      `Store slug '${selfStoreSlug}' does not end in '${suffix}'; is this add-on installed from the HomeIQ repository?`,
    );
  }
  return selfStoreSlug.slice(0, -suffix.length);
}

export function siblingSlug(selfStoreSlug: string, selfConfigSlug: AddonSlug, sibling: AddonSlug): string {
  return `${repositoryPrefix(selfStoreSlug, selfConfigSlug)}_${sibling}`;
}

/** The Supervisor's DNS name for an add-on: every `_` of the store slug becomes `-`. */
export function hostnameOf(storeSlug: string): string {
  return storeSlug.replaceAll('_', '-');
}

/** Which sibling (if any) a store slug names, given our own store slug. */
export function siblingOf(
  selfStoreSlug: string,
  selfConfigSlug: AddonSlug,
  otherStoreSlug: string,
): AddonSlug | undefined {
  const prefix = repositoryPrefix(selfStoreSlug, selfConfigSlug);
  return ADDON_SLUGS.find((s) => s !== selfConfigSlug && otherStoreSlug === `${prefix}_${s}`);
}
