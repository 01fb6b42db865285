import { ENTITY_ID, EXPLORE_MAX_ENTITIES, EXPLORE_SOURCES, type ExploreSource } from '../../src/api-types.js';

/**
 * What an Explore chart shows, kept in the URL's fragment (`#/explore?e=…&r=7d`) so that a view can be
 * bookmarked and shared inside Home Assistant: the fragment never reaches the server and survives the ingress
 * prefix. Pure.
 */

export const QUICK_RANGES = ['1h', '6h', '24h', '7d', '30d', '90d', '1y', '2y', 'all'] as const;
export type QuickRange = (typeof QUICK_RANGES)[number];

const H = 3_600_000;
const D = 24 * H;
export const QUICK_MS: Record<Exclude<QuickRange, 'all'>, number> = {
  '1h': H,
  '6h': 6 * H,
  '24h': D,
  '7d': 7 * D,
  '30d': 30 * D,
  '90d': 90 * D,
  '1y': 365 * D,
  '2y': 730 * D,
};

export interface Selection {
  entities: string[];
  /** A range ending now, or fixed times (Unix ms). */
  range: QuickRange | { from: number; to: number };
  source: ExploreSource;
  /** `auto`, `none` or a window such as `1h`. */
  every: string;
  compare: boolean;
}

export const DEFAULT_SELECTION: Selection = {
  entities: [],
  range: '24h',
  source: 'auto',
  every: 'auto',
  compare: false,
};

const EVERY = /^(auto|none|[1-9]\d{0,5}[smhdw])$/;

/** The selection in `query` (the fragment after `?`); anything unreadable falls back to the default. */
export function parseSelection(query: string): Selection {
  const p = new URLSearchParams(query);
  const entities = [...new Set((p.get('e') ?? '').split(',').filter((e) => ENTITY_ID.test(e)))].slice(
    0,
    EXPLORE_MAX_ENTITIES,
  );
  const r = p.get('r') ?? '';
  const from = Date.parse(p.get('from') ?? '');
  const to = Date.parse(p.get('to') ?? '');
  const range: Selection['range'] =
    Number.isFinite(from) && Number.isFinite(to) && to > from
      ? { from, to }
      : (QUICK_RANGES as readonly string[]).includes(r)
        ? (r as QuickRange)
        : DEFAULT_SELECTION.range;
  const src = p.get('src') ?? '';
  const w = p.get('w') ?? '';
  return {
    entities,
    range,
    source: (EXPLORE_SOURCES as readonly string[]).includes(src) ? (src as ExploreSource) : 'auto',
    every: EVERY.test(w) ? w : 'auto',
    compare: p.get('cmp') === '1',
  };
}

/** The fragment's query for `s`, defaults left out; ids and times need no escaping. */
export function formatSelection(s: Selection): string {
  const parts: string[] = [];
  if (s.entities.length > 0) parts.push(`e=${s.entities.join(',')}`);
  if (typeof s.range === 'string') parts.push(`r=${s.range}`);
  else parts.push(`from=${new Date(s.range.from).toISOString()}`, `to=${new Date(s.range.to).toISOString()}`);
  if (s.source !== 'auto') parts.push(`src=${s.source}`);
  if (s.every !== 'auto') parts.push(`w=${s.every}`);
  if (s.compare) parts.push('cmp=1');
  return parts.join('&');
}

/**
 * The range in Unix ms: a quick range ends at `now`; `all` starts at the oldest point of the selected entities
 * (`first`, from the entity list), or a year back when that is unknown.
 */
export function resolveRange(
  range: Selection['range'],
  now: number,
  first: number | undefined,
): { start: number; end: number } {
  if (typeof range !== 'string') return { start: range.from, end: range.to };
  if (range === 'all') return { start: Math.min(first ?? now - QUICK_MS['1y'], now - 60_000), end: now };
  return { start: now - QUICK_MS[range], end: now };
}
