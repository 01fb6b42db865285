/**
 * Hostile Home Assistant states for the fuzz round trip, generated (never committed) from a seed with fast-check:
 * entity ids, states and attribute names/values full of quotes, backslashes, commas, spaces, `=`, line ends,
 * control characters, non-BMP text, huge and deeply nested values, NaN/∞ as strings and duplicate keys. Each
 * state becomes a `state_changed` frame written as raw JSON text, so duplicate keys really are in the text.
 */
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface FuzzState {
  entityId: string;
  state: string;
  /** The attributes as written in the frame, in order; a key may repeat (JSON: the last value wins). */
  pairs: Array<[string, Json]>;
  lastUpdated: string;
  /** Now and then not a state: the entity removed (`new_state: null`), or a `new_state` without a text state. */
  kind?: 'removed' | 'malformed';
}

const SPECIAL = ['"', '\\', ',', ' ', '=', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f', '#', '😀', '\u2028', 'é'];
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9_]{1,8}$/) },
);
/** Text made of hostile pieces. */
const hostile = (maxPieces: number) => fc.array(piece, { maxLength: maxPieces }).map((p) => p.join(''));

const entityId = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), fc.stringMatching(/^[a-z0-9_]{1,20}$/))
      .map(([d, o]) => `${d}.${o}`),
  },
  { weight: 3, arbitrary: hostile(8) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 400 }).map((n) => `sensor.${'x'.repeat(n)}`) },
);

const state = fc.oneof(
  { weight: 20, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) },
  { weight: 10, arbitrary: fc.constantFrom('on', 'off', 'ON', 'home', 'not_home', 'unknown', 'unavailable', '') },
  {
    weight: 10,
    arbitrary: fc.constantFrom('NaN', 'nan', 'Infinity', '-inf', '1e999', '-0', '+5', '.5', '5.', '1_000'),
  },
  { weight: 20, arbitrary: hostile(10) },
  { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 17_000 }).map((n) => 'ß'.repeat(n)) },
);

const scalar: fc.Arbitrary<Json> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  hostile(6),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', 'nan'),
);
const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 60, arbitrary: scalar },
  {
    weight: 10,
    arbitrary: fc.letrec<{ v: Json }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(hostile(3), tie('v'), { maxKeys: 4, noNullPrototype: true }),
      ),
    })).v,
  },
  // Deep nesting and values past the 16,384-character cap.
  {
    weight: 1,
    arbitrary: fc.integer({ min: 50, max: 300 }).map((d) => JSON.parse(`${'['.repeat(d)}1${']'.repeat(d)}`) as Json),
  },
  { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 20_000 }).map((n) => `${'x'.repeat(n)}"\\`) },
);

const attrName = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z_]{1,12}$/) },
  { weight: 4, arbitrary: hostile(5) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'device_class',
      'unit_of_measurement',
      '__proto__',
      '0',
      '12',
      'state',
      'value',
      '\\',
      '\n',
      '"',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 300 }).map((n) => 'k'.repeat(n)) },
);

/** Attributes from a pool of names, as a home has: hostile names recur, as do their fields in InfluxDB. */
const pairsFrom = (names: readonly string[]) =>
  fc
    .array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 8 })
    // A key written twice now and then: the frame then holds a duplicate key.
    .chain((ps) =>
      ps.length === 0
        ? fc.constant(ps)
        : fc
            .tuple(fc.boolean(), fc.nat(ps.length - 1), value)
            .map(([dup, i, v]) => (dup ? [...ps, [(ps[i] as [string, Json])[0], v] as [string, Json]] : ps)),
    );

/** Bad times too (out of InfluxDB's range, years 0001-0099): those states are refused, with the reason. */
const badTime = fc.constantFrom(
  '0001-01-01T00:00:00+00:00',
  '2262-04-12T00:00:00+00:00',
  '1677-01-01T00:00:00+00:00',
  'not a time',
);

/**
 * `n` states of entities from a pool (a home has hundreds of entities, each changing often: its series recur).
 * Pools and states come from `seed`; the same seed gives the same states.
 */
export function fuzzStates(seed: number, n: number): FuzzState[] {
  const ids = fc.sample(entityId, { seed, numRuns: Math.max(50, Math.ceil(n / 40)) });
  const names = fc.sample(attrName, { seed: seed + 1, numRuns: 400 });
  const arb = fc.record({
    entityId: fc.constantFrom(...ids),
    state,
    pairs: pairsFrom(names),
    bad: fc.noBias(fc.integer({ min: 0, max: 199 })),
    badTime,
    big: fc.noBias(fc.integer({ min: 0, max: 1999 })),
    odd: fc.noBias(fc.integer({ min: 0, max: 499 })),
  });
  const base = Date.UTC(2026, 0, 1) * 1000; // µs
  return fc.sample(arb, { seed, numRuns: n }).map((r, i) => ({
    entityId: r.entityId,
    state: r.state,
    // One in 2,000 has 20 attributes of 16,000+ characters: past the point budget.
    pairs:
      r.big === 0
        ? [...r.pairs, ...Array.from({ length: 20 }, (_, k) => [`big${k}`, `${k}`.repeat(16_500)] as [string, Json])]
        : r.pairs,
    // Every state its own µs: its point is found by time alone. One in 200 gets a time InfluxDB cannot store.
    lastUpdated: r.bad === 0 ? r.badTime : microsIso(base + i * 1000 + (i % 997)),
    ...(r.odd === 0 ? { kind: 'removed' as const } : r.odd === 1 ? { kind: 'malformed' as const } : {}),
  }));
}

function microsIso(us: number): string {
  const d = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
  return `${d}.${String(us % 1_000_000).padStart(6, '0')}+00:00`;
}

/** One `state_changed` event message as HA would send it, as raw JSON text (duplicate keys kept). */
export function frameText(s: FuzzState, id: number): string {
  const attrs = `{${s.pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
  const state = s.kind === 'malformed' ? '21.5' : JSON.stringify(s.state); // a number where HA sends text
  const ns =
    s.kind === 'removed'
      ? 'null'
      : `{"entity_id":${JSON.stringify(s.entityId)},"state":${state},"attributes":${attrs},"last_changed":${JSON.stringify(s.lastUpdated)},"last_updated":${JSON.stringify(s.lastUpdated)},"context":{"id":"01J","parent_id":null,"user_id":null}}`;
  return `{"id":1,"type":"event","event":{"event_type":"state_changed","data":{"entity_id":${JSON.stringify(s.entityId)},"old_state":null,"new_state":${ns}},"origin":"LOCAL","time_fired":${JSON.stringify(s.lastUpdated)},"context":{"id":"01J","parent_id":null,"user_id":null}},"_n":${id}}`;
}
