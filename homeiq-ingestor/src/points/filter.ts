/**
 * Include/exclude by domain, entity glob and attribute name (attributes are dropped by the encoders).
 * Rules: an entity is recorded when it passes the include list (empty = everything) and matches no exclude.
 * Exclude wins over include. Globs: `*` any run of characters, `?` one character; matched against the full
 * entity_id (`sensor.*_battery`).
 */
export interface FilterRules {
  includeDomains: readonly string[];
  includeEntities: readonly string[];
  excludeDomains: readonly string[];
  excludeEntities: readonly string[];
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

export class EntityFilter {
  readonly #includeDomains: ReadonlySet<string>;
  readonly #excludeDomains: ReadonlySet<string>;
  readonly #include: readonly RegExp[];
  readonly #exclude: readonly RegExp[];

  constructor(rules: FilterRules) {
    this.#includeDomains = new Set(rules.includeDomains);
    this.#excludeDomains = new Set(rules.excludeDomains);
    this.#include = rules.includeEntities.map(globToRegExp);
    this.#exclude = rules.excludeEntities.map(globToRegExp);
  }

  accepts(entityId: string): boolean {
    const dot = entityId.indexOf('.');
    const domain = dot > 0 ? entityId.slice(0, dot) : '';
    if (this.#excludeDomains.has(domain) || this.#exclude.some((r) => r.test(entityId))) return false;
    if (this.#includeDomains.size === 0 && this.#include.length === 0) return true;
    return this.#includeDomains.has(domain) || this.#include.some((r) => r.test(entityId));
  }
}
