import { describe, expect, it } from 'vitest';
import { reportedEntityIds } from '../report/entities.js';
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

describe('EntityFilter own entities', () => {
  it("never records HomeIQ's own entities, with or without rules, and nothing else because of them", () => {
    const own = reportedEntityIds();
    expect(own.has('sensor.homeiq_events_per_second')).toBe(true);
    expect(own.has('binary_sensor.homeiq_rest_ingestion_problem')).toBe(true);
    const none = new EntityFilter({
      includeDomains: [],
      includeEntities: [],
      excludeDomains: [],
      excludeEntities: [],
      ownEntities: own,
    });
    const included = new EntityFilter({
      includeDomains: ['sensor'],
      includeEntities: [],
      excludeDomains: [],
      excludeEntities: [],
      ownEntities: own,
    });
    for (const f of [none, included]) {
      expect(f.accepts('sensor.homeiq_spool_backlog')).toBe(false);
      expect(f.accepts('sensor.homeiq_rest_spool_backlog')).toBe(false);
      expect(f.accepts('sensor.homeiq_kitchen_temperature')).toBe(true);
    }
  });
});
