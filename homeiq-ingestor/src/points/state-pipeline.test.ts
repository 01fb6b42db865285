/** The state pipeline's decisions for live, snapshot and history states (restart artefacts, holds). */
import { describe, expect, it } from 'vitest';
import type { HaEvent } from '../ha/messages.js';
import { EventEncoder } from './event-encoder.js';
import { EntityFilter } from './filter.js';
import { StateDigests } from './restart-digest.js';
import { StatePipeline } from './state-pipeline.js';

const iso = (s: number) => `2026-11-24T10:00:${String(s).padStart(2, '0')}.000001+00:00`;
const ev = (
  state: string,
  s: number,
  readded: boolean,
  attrs: Record<string, unknown> = { unit_of_measurement: '°C' },
): HaEvent => ({
  event_type: 'state_changed',
  time_fired: iso(s),
  data: {
    entity_id: 'sensor.t',
    old_state: readded ? null : { entity_id: 'sensor.t', state: 'x', attributes: {}, last_updated: iso(0) },
    new_state: { entity_id: 'sensor.t', state, attributes: attrs, last_updated: iso(s), last_changed: iso(s) },
  },
});

function rig(skip: boolean, digests = new StateDigests()) {
  const lines: string[] = [];
  const encoder = new EventEncoder(
    { maxStringLength: 100, excludeAttributes: new Set(), layout: 'homeiq' },
    new EntityFilter({ includeDomains: [], includeEntities: [], excludeDomains: [], excludeEntities: [] }),
    () => undefined,
  );
  const pipeline = new StatePipeline({
    encoder,
    sink: { append: (l) => lines.push(l) > 0 },
    digests,
    skipRestartDuplicates: skip,
  });
  return { lines, pipeline, digests };
}

describe('state pipeline', () => {
  it('skips a re-added entity equal to what was written, writes a changed one, and a real change always', () => {
    const r = rig(true);
    r.pipeline.onEvent(ev('21', 1, true));
    r.pipeline.onEvent(ev('21', 2, false)); // old_state set: written even if equal (force_update)
    r.pipeline.onEvent(ev('21', 3, false, { unit_of_measurement: '°C' }));
    expect(r.lines).toHaveLength(3);
    r.pipeline.onEvent(ev('21', 9, true)); // HA restart: re-added, same content
    expect(r.lines).toHaveLength(3);
    r.pipeline.onEvent(ev('22', 10, true)); // re-added with another value
    r.pipeline.onEvent(ev('22', 11, true, { unit_of_measurement: 'K' })); // re-added with other attributes
    expect(r.lines).toHaveLength(5);
    expect(r.pipeline.stats().restartDuplicatesSkipped).toBe(1);
    expect(r.pipeline.lastSeenUs).toBeGreaterThan(0);
  });
  it('with the option off writes the artefact, but never the same point twice', () => {
    const r = rig(false);
    r.pipeline.onEvent(ev('21', 1, true));
    r.pipeline.onEvent(ev('21', 9, true));
    expect(r.lines).toHaveLength(2);
    const snap = {
      entity_id: 'sensor.t',
      state: '21',
      attributes: { unit_of_measurement: '°C' },
      last_updated: iso(9),
    };
    expect(r.pipeline.writeState(snap, r.digests.get('sensor.t')).verdict).toBe('already_written');
    expect(r.lines).toHaveLength(2);
  });
  it('holds live events while asked and releases them in order', () => {
    const r = rig(true);
    r.pipeline.hold();
    r.pipeline.onEvent(ev('1', 1, false));
    r.pipeline.onEvent(ev('2', 2, false));
    expect(r.lines).toHaveLength(0);
    r.pipeline.release();
    expect(r.lines.map((l) => /state="(\d)"/.exec(l)?.[1])).toEqual(['1', '2']);
  });
});
