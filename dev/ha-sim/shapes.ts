// Shapes of JSON replies (keys and value types, recursively, never values)
// and their comparison, for checking the simulator against a real HA.

export type Leaf = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array' | 'map' | 'opaque';

export interface Shape {
  /** Sorted set of the kinds of value seen at this place. */
  types: Leaf[];
  /** For objects: each key, `optional` when some observed objects lacked it. */
  fields?: Record<string, Shape & { optional?: true }>;
  /** Merged shape of array elements; absent when every array seen was empty. */
  items?: Shape;
  /** Merged shape of map values (objects keyed by data, e.g. entity ids). */
  values?: Shape;
}

/** Where to stop descending: `maps` have data keys, `opaque` is not compared inside. */
export interface ShapeRules {
  maps?: string[];
  opaque?: string[];
}

/** Paths: `a.b` for keys, `[]` for array items, `{}` for map values; a leading `*` matches any prefix. */
export function pathMatches(pattern: string, path: string): boolean {
  return pattern.startsWith('*') ? path.endsWith(pattern.slice(1)) : pattern === path;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

export function shapeOf(value: unknown, rules: ShapeRules = {}, path = ''): Shape {
  if (value === null) return { types: ['null'] };
  if (Array.isArray(value)) {
    const items = value
      .map((v) => shapeOf(v, rules, `${path}[]`))
      .reduce<Shape | undefined>((a, b) => (a ? mergeShapes(a, b) : b), undefined);
    return items ? { types: ['array'], items } : { types: ['array'] };
  }
  if (typeof value === 'object') {
    if (rules.opaque?.some((p) => pathMatches(p, path))) return { types: ['opaque'] };
    const entries = Object.entries(value as Record<string, unknown>);
    if (rules.maps?.some((p) => pathMatches(p, path))) {
      const values = entries
        .map(([, v]) => shapeOf(v, rules, `${path}{}`))
        .reduce<Shape | undefined>((a, b) => (a ? mergeShapes(a, b) : b), undefined);
      return values ? { types: ['map'], values } : { types: ['map'] };
    }
    return {
      types: ['object'],
      fields: Object.fromEntries(entries.map(([k, v]) => [k, shapeOf(v, rules, join(path, k))])),
    };
  }
  return { types: [typeof value as Leaf] };
}

export function mergeShapes(a: Shape, b: Shape): Shape {
  const out: Shape = { types: [...new Set([...a.types, ...b.types])].sort() };
  if (a.fields || b.fields) {
    const fields: NonNullable<Shape['fields']> = {};
    const keys = new Set([...Object.keys(a.fields ?? {}), ...Object.keys(b.fields ?? {})]);
    for (const k of keys) {
      const fa = a.fields?.[k];
      const fb = b.fields?.[k];
      // A key missing from objects on one side is optional; a side that had no objects at all says nothing.
      const merged: Shape & { optional?: true } = fa && fb ? mergeShapes(fa, fb) : ({ ...(fa ?? fb) } as Shape);
      const absentSomewhere =
        (!fa && a.types.includes('object')) || (!fb && b.types.includes('object')) || fa?.optional || fb?.optional;
      if (absentSomewhere) merged.optional = true;
      else delete merged.optional;
      fields[k] = merged;
    }
    out.fields = fields;
  }
  const items = a.items && b.items ? mergeShapes(a.items, b.items) : (a.items ?? b.items);
  if (items) out.items = items;
  const values = a.values && b.values ? mergeShapes(a.values, b.values) : (a.values ?? b.values);
  if (values) out.values = values;
  return out;
}

export type DiffKind = 'reply-missing' | 'type-mismatch' | 'missing-in-sim' | 'missing-in-real';

export interface ShapeDifference {
  step: string;
  path: string;
  kind: DiffKind;
  real: string;
  sim: string;
  /** Set when an allow-list entry tolerated it. */
  tolerated?: string;
}

const describe = (s: Shape | undefined | null) => (s ? s.types.join('|') : 'absent');

/**
 * Differences between two shapes of the same reply. Keys optional on one side
 * are data-dependent and never reported as missing; null goes with anything
 * (a nullable field that happened to be set on one side only).
 */
export function diffShapes(step: string, real: Shape | null, sim: Shape | null, path = ''): ShapeDifference[] {
  if (!real || !sim)
    return real === sim ? [] : [{ step, path, kind: 'reply-missing', real: describe(real), sim: describe(sim) }];
  const out: ShapeDifference[] = [];
  const realTypes = real.types.filter((t) => t !== 'null');
  const simTypes = sim.types.filter((t) => t !== 'null');
  // An opaque side matches any object-ish value on the other.
  const norm = (t: Leaf) => (t === 'opaque' || t === 'map' ? 'object' : t);
  const overlap = realTypes.some((t) => simTypes.map(norm).includes(norm(t)));
  if (realTypes.length && simTypes.length && !overlap) {
    return [{ step, path, kind: 'type-mismatch', real: describe(real), sim: describe(sim) }];
  }
  if (real.fields && sim.fields) {
    for (const [key, rf] of Object.entries(real.fields)) {
      const sf = sim.fields[key];
      if (!sf) {
        if (!rf.optional)
          out.push({ step, path: join(path, key), kind: 'missing-in-sim', real: describe(rf), sim: 'absent' });
        continue;
      }
      out.push(...diffShapes(step, rf, sf, join(path, key)));
    }
    for (const [key, sf] of Object.entries(sim.fields)) {
      if (!real.fields[key] && !sf.optional)
        out.push({ step, path: join(path, key), kind: 'missing-in-real', real: 'absent', sim: describe(sf) });
    }
  }
  if (real.items && sim.items) out.push(...diffShapes(step, real.items, sim.items, `${path}[]`));
  if (real.values && sim.values) out.push(...diffShapes(step, real.values, sim.values, `${path}{}`));
  return out;
}
