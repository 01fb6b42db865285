import type { MigrationEntityReport, MigrationNote } from '@homeiq/shared/contracts';
import { nsToIso } from './ha-schema.js';

/**
 * The per-entity report and the notes of a migration: what was read, written and not mapped, and each kind of
 * approximation with a count and a first example. Counted per window (`ReportDelta`) and merged into the job only
 * once the window's points are durable, so the persisted report always describes exactly what lies before the
 * persisted position. Bounded: at most MAX_ENTITIES rows (the rest are summed into one row).
 */

export const MAX_ENTITIES = 20_000;
const OTHERS = '(more entities)';

export interface EntityCounts {
  read: number;
  written: number;
  unmapped: number;
  /** ns as digits */
  first?: string | undefined;
  last?: string | undefined;
}

export interface NoteCount {
  count: number;
  example?: string | undefined;
}

export interface ReportRecord {
  entities: Record<string, EntityCounts>;
  unmapped: Record<string, NoteCount>;
  notes: Record<string, NoteCount>;
  read: number;
  written: number;
  unmappedTotal: number;
  excluded: number;
}

export function emptyReport(): ReportRecord {
  return { entities: {}, unmapped: {}, notes: {}, read: 0, written: 0, unmappedTotal: 0, excluded: 0 };
}

/** What the user reads for each kind of note and of unmapped point. */
export const NOTE_TEXT: Record<string, string> = {
  state_from_value:
    "numeric states rebuilt from the stored number (HA's integration keeps only the number: '21.0' reads back as '21')",
  python_value: 'list and dict attributes stored as Python text, written as JSON (as HomeIQ records them)',
  python_text: 'attributes stored as Python text that is not plain data (dates, enums), kept as text',
  none_attribute:
    "attributes stored as the text 'None' (HA's empty value) left out, as HomeIQ leaves out empty attributes",
  tag_as_attribute: 'extra tags (static tags or tags_attributes in HA) written as text attributes',
  unexpected_type:
    'fields in a type HA does not write (the state as a number, a text attribute without _str), kept as they are',
  measurement_layout:
    'measurements named by measurement_attr entity_id or domain__device_class: the unit read from its field',
  truncated: 'text longer than HomeIQ keeps, cut with a visible marker',
  excluded: "points of entities the ingestor's include/exclude options reject, not written",
};

export const UNMAPPED_TEXT: Record<string, string> = {
  no_state: 'points with neither a state nor a value field',
  unencodable: 'points InfluxDB cannot take (a time outside its range, no field left to write)',
};

function add(to: Record<string, NoteCount>, kind: string, example: string | undefined, n = 1): void {
  const c = to[kind];
  if (c) c.count += n;
  else to[kind] = { count: n, example };
}

/** The counts of one window, merged into the report once its points are durable. */
export class ReportDelta {
  readonly r = emptyReport();

  entity(id: string): EntityCounts {
    let e = this.r.entities[id];
    if (!e) {
      e = { read: 0, written: 0, unmapped: 0 };
      this.r.entities[id] = e;
    }
    return e;
  }

  /** `example` is asked for only for the first of its kind. */
  note(kind: string, example: () => string): void {
    const c = this.r.notes[kind];
    if (c) c.count += 1;
    else this.r.notes[kind] = { count: 1, example: example() };
  }

  unmapped(kind: string, example: string): void {
    add(this.r.unmapped, kind, example);
    this.r.unmappedTotal += 1;
  }
}

const minNs = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : BigInt(a) <= BigInt(b) ? a : b;
const maxNs = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : BigInt(a) >= BigInt(b) ? a : b;

export function mergeReport(into: ReportRecord, d: ReportRecord): void {
  into.read += d.read;
  into.written += d.written;
  into.unmappedTotal += d.unmappedTotal;
  into.excluded += d.excluded;
  for (const [k, v] of Object.entries(d.notes)) add(into.notes, k, v.example, v.count);
  for (const [k, v] of Object.entries(d.unmapped)) add(into.unmapped, k, v.example, v.count);
  for (const [id, e] of Object.entries(d.entities)) {
    const known = Object.hasOwn(into.entities, id);
    const key = known || Object.keys(into.entities).length < MAX_ENTITIES ? id : OTHERS;
    const t = into.entities[key] ?? { read: 0, written: 0, unmapped: 0 };
    into.entities[key] = t;
    t.read += e.read;
    t.written += e.written;
    t.unmapped += e.unmapped;
    t.first = minNs(t.first, e.first);
    t.last = maxNs(t.last, e.last);
  }
}

export function entityRows(r: ReportRecord, limit = Number.POSITIVE_INFINITY): MigrationEntityReport[] {
  return Object.keys(r.entities)
    .sort()
    .slice(0, limit)
    .map((entityId) => {
      const e = r.entities[entityId] as EntityCounts;
      return {
        entityId,
        read: e.read,
        written: e.written,
        unmapped: e.unmapped,
        first: e.first === undefined ? undefined : nsToIso(BigInt(e.first)),
        last: e.last === undefined ? undefined : nsToIso(BigInt(e.last)),
      };
    });
}

export function noteRows(counts: Record<string, NoteCount>, texts: Record<string, string>): MigrationNote[] {
  return Object.entries(counts)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([kind, c]) => ({ kind, text: texts[kind] ?? kind, count: c.count, example: c.example }));
}
