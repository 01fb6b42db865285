import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { encodePoint, type FieldValue } from '../points/line-protocol.js';
import { StateEncoder } from '../points/state-encoder.js';
import type { EncodeOptions, Problem } from '../points/state-model.js';
import type { RecordBatch } from '../spool/batch.js';
import { HaStateReader, nsBefore, type MappingNote } from './ha-schema.js';
import { LineBuffer } from './line-buffer.js';
import { ReportDelta } from './migration-report.js';
import type { SourcePoint } from './source-types.js';

/**
 * A window's points → lines in the ingestor's layout (for the migration's queue):
 * - HomeIQ layout: each point read back into the HA state it was written from (ha-schema.ts) and encoded like a
 *   live state (same encoder, same options, registry tags), at the point's own time;
 * - ha_compatible: the point as it is (the source already is that layout), measurement, tags, fields and types.
 * Either way a point lands on its own series and timestamp, so writing a window again changes nothing.
 */

export interface WindowWriterOptions {
  encode: EncodeOptions;
  /** The include/exclude options. */
  accepts(entityId: string): boolean;
}

export interface WindowOutcome {
  delta: ReportDelta;
  /** The window's lines, as the migration's queue takes them. */
  batch: RecordBatch;
}

const YIELD_EVERY = 500;

/** A point's fields as InfluxDB holds them (ha_compatible copies them as they are). */
function storedFields(p: SourcePoint): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = Object.create(null) as Record<string, FieldValue>;
  const { fields, ints } = p.series;
  for (let i = 1; i < fields.length; i += 1) {
    const v = p.values[i];
    const name = fields[i] as string;
    if (typeof v === 'string') out[name] = { type: 'string', value: v };
    else if (typeof v === 'boolean') out[name] = { type: 'bool', value: v };
    else if (typeof v === 'bigint') out[name] = { type: 'int', value: v };
    else if (typeof v === 'number')
      out[name] = ints.has(i) && Number.isSafeInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  }
  return out;
}

export class WindowWriter {
  readonly #encoder: StateEncoder;
  readonly #reader = new HaStateReader();
  /** The bytes of the last window, to size the next one's buffer. */
  #lastBytes = 0;

  constructor(private readonly opts: WindowWriterOptions) {
    this.#encoder = new StateEncoder(opts.encode);
  }

  /**
   * Writes the points of one window; `selected` limits it to some entities; `pace` is awaited every few hundred
   * points (rate limit); `alive` false stops it (the window then counts for nothing).
   */
  async write(
    points: readonly SourcePoint[],
    selected: ReadonlySet<string> | undefined,
    pace: (written: number) => Promise<void>,
    alive: () => boolean,
  ): Promise<WindowOutcome | undefined> {
    const delta = new ReportDelta();
    const r = delta.r;
    const lines = new LineBuffer(this.#lastBytes + (this.#lastBytes >> 3));
    const notes: MappingNote[] = [];
    const problems: Problem[] = [];
    for (let i = 0; i < points.length; i += 1) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) {
        await pace(r.written);
        await yieldToLoop();
        if (!alive()) return undefined;
      }
      const p = points[i] as SourcePoint;
      const entityId = p.series.entityId;
      if (entityId === undefined || (selected && !selected.has(entityId))) continue;
      r.read += 1;
      if (!this.opts.accepts(entityId)) {
        r.excluded += 1;
        delta.note('excluded', () => entityId);
        continue;
      }
      const e = delta.entity(entityId);
      e.read += 1;
      if (e.first === undefined || nsBefore(p.timeNs, e.first)) e.first = p.timeNs;
      if (e.last === undefined || nsBefore(e.last, p.timeNs)) e.last = p.timeNs;
      notes.length = 0;
      problems.length = 0;
      const iso = p.values[0] as string;
      let line: string | undefined;
      if (this.opts.encode.layout === 'ha_compatible') {
        line = encodePoint(
          { measurement: p.series.measurement, tags: p.series.tags, fields: storedFields(p), timestampNs: p.timeNs },
          problems,
        );
      } else {
        const state = this.#reader.read(p, entityId, notes);
        if (state === undefined) {
          e.unmapped += 1;
          delta.unmapped('no_state', `${entityId} at ${iso}`);
          continue;
        }
        line = this.#encoder.encode(state, problems, p.timeNs).line;
      }
      for (const n of notes) delta.note(n, () => `${entityId} at ${iso}`);
      for (const pr of problems) if (pr === 'truncated') delta.note('truncated', () => `${entityId} at ${iso}`);
      if (line === undefined) {
        e.unmapped += 1;
        delta.unmapped('unencodable', `${entityId} at ${iso}${problems.length ? ` (${problems.join(', ')})` : ''}`);
        continue;
      }
      lines.add(line);
      e.written += 1;
      r.written += 1;
    }
    await pace(r.written);
    this.#lastBytes = lines.bytes;
    return alive() ? { delta, batch: lines.batch() } : undefined;
  }
}
