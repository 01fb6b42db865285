/**
 * What the panel's charts draw, apart from drawing it: the series type, the colours, and the query console's answer
 * turned into series. No uPlot here, so the logic runs (and is tested) without a browser.
 */
import type { QueryTable } from '../../src/api-types.js';
import { rfc3339ToMicros } from '../../src/explore/time.js';

/** A line: times in Unix µs. Series of one unit share a y-axis. */
export interface PlotSeries {
  key: string;
  label: string;
  unit: string;
  color: string;
  times: number[];
  values: number[];
  /** The previous period, drawn dashed. */
  dashed?: boolean;
}

/** Distinct in light and dark; the n-th entity picked keeps the n-th colour. */
export const PALETTE = [
  '#039be5',
  '#fb8c00',
  '#43a047',
  '#e53935',
  '#8e24aa',
  '#00897b',
  '#fdd835',
  '#3949ab',
  '#6d4c41',
  '#d81b60',
  '#7cb342',
  '#00acc1',
];

/** Column types of a query answer that are drawn as lines (and right-aligned in its table). */
export const NUMERIC = new Set(['double', 'long', 'unsignedLong']);
/** At most this many lines from one answer. */
const MAX_SERIES = 20;
/** Group columns that are the same in every table of a Flux answer and say nothing in a label. */
const QUIET = new Set(['_start', '_stop']);

/** The answer's numeric columns over time, one line per table and column, labelled by the table's group key. */
export function answerSeries(tables: readonly QueryTable[]): PlotSeries[] {
  const out: PlotSeries[] = [];
  for (const t of tables) {
    const ti = t.columns.findIndex((c) => (c.name === '_time' || c.name === 'time') && c.type.startsWith('dateTime'));
    if (ti < 0) continue;
    const groupValue = (name: string): string => {
      const i = t.columns.findIndex((c) => c.group && c.name === name);
      return i < 0 ? '' : (t.rows[0]?.[i] ?? '');
    };
    // HomeIQ's series are best named by entity (and field, unless it is the usual `value`); others by the group key.
    const entity = groupValue('entity_id');
    const field = groupValue('_field');
    const key = entity
      ? [entity, field === 'value' ? '' : field].filter(Boolean).join(' ')
      : t.columns
          .filter((c) => c.group && !QUIET.has(c.name))
          .map((c) => t.rows[0]?.[t.columns.indexOf(c)] ?? '')
          .filter(Boolean)
          .join(' ');
    const numeric = t.columns.filter((c) => NUMERIC.has(c.type) && c.name !== 'table');
    for (const c of numeric) {
      if (out.length >= MAX_SERIES) return out;
      const ci = t.columns.indexOf(c);
      const times: number[] = [];
      const values: number[] = [];
      for (const r of t.rows) {
        const us = rfc3339ToMicros(r[ti] ?? '');
        const v = Number(r[ci]);
        if (Number.isFinite(us) && r[ci] !== '' && Number.isFinite(v)) {
          times.push(us);
          values.push(v);
        }
      }
      if (times.length === 0) continue;
      // Without a group key: InfluxQL's series name, or Flux's yield.
      const fallback = Number.isNaN(Number(t.table)) ? t.table : t.result;
      const label = [key || fallback, numeric.length > 1 || c.name !== '_value' ? c.name : '']
        .filter(Boolean)
        .join(' · ');
      out.push({
        key: `${t.result}/${t.table}/${c.name}`,
        label,
        unit: '',
        color: PALETTE[out.length % PALETTE.length] as string,
        times,
        values,
      });
    }
  }
  return out;
}
