import { describe, expect, it } from 'vitest';
import { EntityFilter } from './filter.js';

// A glob that passes the options schema but made the old RegExp-based filter backtrack for seconds per id.
const PATHOLOGICAL = `${'*?'.repeat(8)}x`;

describe('EntityFilter globs', () => {
  it('decides a pathological exclude glob against 10,000 distinct long ids without stalling', () => {
    const f = new EntityFilter({
      includeDomains: [],
      includeEntities: [],
      excludeDomains: [],
      excludeEntities: [PATHOLOGICAL, 'sensor.*_battery'],
    });
    // Distinct ids, so the decision cache cannot hide the matcher; 60 characters, none ending in x.
    for (let i = 0; i < 10_000; i += 1) {
      const id = `sensor.${String(i).padStart(5, '0')}_${'a'.repeat(47)}`;
      expect(id).toHaveLength(60);
      if (!f.accepts(id)) throw new Error(`${id} was excluded`);
    }
    expect(f.accepts(`sensor.${'a'.repeat(52)}x`)).toBe(false);
    expect(f.accepts('sensor.phone_battery')).toBe(false);
  });
});
