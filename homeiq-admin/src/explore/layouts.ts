import type { FluxRow } from '@homeiq/shared';
import { ENTITY_ID } from '../api-types.js';
import type { FluxParam } from '../influx/flux.js';

/**
 * The ingestor writes an entity's points in one of two layouts (its `ha_compatible` option), and one bucket may
 * hold both (the option was changed, or old history was migrated in the other layout). HomeIQ's layout tags the
 * whole id (`entity_id=sensor.x`); Home Assistant's own integration tags `domain=sensor` and `entity_id=x`. An
 * object id has no dot, so the `entity_id` tag tells them apart, and Explore reads both without asking the
 * ingestor which one it writes today; an entity's points in either layout are one entity.
 */

/** Flux: a row in the ha_compatible layout. Tag comparisons only, so the storage engine applies it. */
export const HA_ROW = 'r.entity_id !~ /[.]/ and exists r.domain';

/** The columns `rowEntityId` reads, quoted for a Flux `keep()`. */
export const ID_COLUMNS = '"entity_id", "domain"';

/** The whole entity id of a row in either layout; undefined for a row that is not an entity's. */
export function rowEntityId(r: FluxRow): string | undefined {
  const tag = r['entity_id'];
  if (!tag) return undefined;
  const domain = r['domain'];
  const id = tag.includes('.') ? tag : domain ? `${domain}.${tag}` : undefined;
  return id !== undefined && ENTITY_ID.test(id) ? id : undefined;
}

/** Whether a row is in the ha_compatible layout (its `entity_id` tag is an object id). */
export function isHaRow(r: FluxRow): boolean {
  return !(r['entity_id'] ?? '').includes('.');
}

/**
 * Flux: the rows of these entities in either layout, their ids as `params.eN` (whole), `dN` and `oN` (domain and
 * object id). The storage engine answers each comparison from its tag index, so the second layout costs a lookup
 * that finds nothing, not a scan.
 */
export function entityFilter(ids: readonly string[], params: Record<string, FluxParam>): string {
  return ids
    .map((id, i) => {
      const dot = id.indexOf('.');
      params[`e${i}`] = id;
      params[`d${i}`] = id.slice(0, dot);
      params[`o${i}`] = id.slice(dot + 1);
      return `r.entity_id == params.e${i} or (r.domain == params.d${i} and r.entity_id == params.o${i})`;
    })
    .join(' or ');
}
