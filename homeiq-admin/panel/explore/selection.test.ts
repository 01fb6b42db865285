import { describe, expect, it } from 'vitest';
import { DEFAULT_SELECTION, formatSelection, parseSelection, QUICK_MS, resolveRange } from './selection.js';

describe('Explore selection in the fragment', () => {
  it('round-trips every part, and leaves defaults out', () => {
    const s = {
      entities: ['sensor.a', 'binary_sensor.door'],
      range: { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 8) },
      source: '1h' as const,
      every: '1d',
      compare: true,
    };
    const text = formatSelection(s);
    expect(text).toBe(
      'e=sensor.a,binary_sensor.door&from=2026-01-01T00:00:00.000Z&to=2026-01-08T00:00:00.000Z&src=1h&w=1d&cmp=1',
    );
    expect(parseSelection(text)).toEqual(s);
    expect(formatSelection({ ...DEFAULT_SELECTION, entities: ['sensor.a'] })).toBe('e=sensor.a&r=24h');
    expect(parseSelection('e=sensor.a&r=all')).toEqual({ ...DEFAULT_SELECTION, entities: ['sensor.a'], range: 'all' });
  });

  it('drops what it cannot read instead of failing', () => {
    expect(parseSelection('e=sensor.a,<script>,sensor.a,nodomain&r=3w&src=2m&w=soon&cmp=yes&from=x&to=y')).toEqual({
      ...DEFAULT_SELECTION,
      entities: ['sensor.a'],
    });
    // A range that ends before it starts is no range.
    expect(parseSelection('from=2026-01-08T00:00:00Z&to=2026-01-01T00:00:00Z').range).toBe('24h');
    expect(parseSelection(`e=${Array.from({ length: 60 }, (_, i) => `sensor.e${i}`).join(',')}`).entities).toHaveLength(
      50,
    );
  });

  it('resolves quick ranges against now, and "all" from the oldest point', () => {
    const now = Date.UTC(2026, 5, 1);
    expect(resolveRange('7d', now, undefined)).toEqual({ start: now - QUICK_MS['7d'], end: now });
    expect(resolveRange('all', now, Date.UTC(2024, 0, 1))).toEqual({ start: Date.UTC(2024, 0, 1), end: now });
    expect(resolveRange('all', now, undefined)).toEqual({ start: now - QUICK_MS['1y'], end: now });
    expect(resolveRange({ from: 1, to: 2 }, now, undefined)).toEqual({ start: 1, end: 2 });
  });
});
