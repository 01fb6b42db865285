import { globMatch } from '@homeiq/shared';
import { BoundedCache } from './bounded-cache.js';

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
  /** Exact entity ids never recorded, whatever the rules: HomeIQ's own entities (their figures are self-telemetry). */
  ownEntities?: ReadonlySet<string>;
}

export class EntityFilter {
  readonly #includeDomains: ReadonlySet<string>;
  readonly #excludeDomains: ReadonlySet<string>;
  readonly #include: readonly string[];
  readonly #exclude: readonly string[];
  readonly #own: ReadonlySet<string>;
  /** No rule at all (the default): everything passes. */
  readonly #everything: boolean;
  /** Decisions by entity_id: every event asks, and each decision walks every glob. */
  readonly #decisions = new BoundedCache<boolean>(16_384);

  constructor(rules: FilterRules) {
    this.#includeDomains = new Set(rules.includeDomains);
    this.#excludeDomains = new Set(rules.excludeDomains);
    this.#include = [...rules.includeEntities];
    this.#exclude = [...rules.excludeEntities];
    this.#own = rules.ownEntities ?? new Set();
    this.#everything =
      this.#includeDomains.size + this.#excludeDomains.size + this.#include.length + this.#exclude.length === 0;
  }

  accepts(entityId: string): boolean {
    // One Set lookup, before the no-rules fast path: recording them would feed their own updates back as events.
    if (this.#own.has(entityId)) return false;
    if (this.#everything) return true;
    let accepted = this.#decisions.get(entityId);
    if (accepted === undefined) {
      accepted = this.#decide(entityId);
      this.#decisions.set(entityId, accepted);
    }
    return accepted;
  }

  #decide(entityId: string): boolean {
    const dot = entityId.indexOf('.');
    const domain = dot > 0 ? entityId.slice(0, dot) : '';
    if (this.#excludeDomains.has(domain) || this.#exclude.some((g) => globMatch(g, entityId))) return false;
    if (this.#includeDomains.size === 0 && this.#include.length === 0) return true;
    return this.#includeDomains.has(domain) || this.#include.some((g) => globMatch(g, entityId));
  }
}
