/** Unit tests: the restart-artefact digest and the pipeline's decisions for live, snapshot and history states. */
import { describe, expect, it } from 'vitest';
import type { HaEvent } from '../../homeiq-ingestor/src/ha/messages.js';
import { EventEncoder } from '../../homeiq-ingestor/src/points/event-encoder.js';
import { EntityFilter } from '../../homeiq-ingestor/src/points/filter.js';
import { StateDigests, stateHash } from '../../homeiq-ingestor/src/points/restart-digest.js';
import { StatePipeline } from '../../homeiq-ingestor/src/points/state-pipeline.js';

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

describe('state digest', () => {
  it('ignores attribute order and sees every other difference', () => {
    expect(stateHash('1', { a: 1, b: { c: [1, 2], d: null } })).toBe(
      stateHash('1', { b: { d: null, c: [1, 2] }, a: 1 }),
    );
    expect(stateHash('1', { a: 1 })).not.toBe(stateHash('2', { a: 1 }));
    expect(stateHash('1', { a: 1 })).not.toBe(stateHash('1', { a: '1' }));
    expect(stateHash('1', { a: [1, 2] })).not.toBe(stateHash('1', { a: [2, 1] }));
  });
  it('decides: same point → already written; re-added equal → artefact only when skipping', () => {
    const prev = { hash: 'h', t: 10 };
    expect(StateDigests.decide(prev, 'h', 10, false, true)).toBe('already_written');
    expect(StateDigests.decide(prev, 'h', 20, true, true)).toBe('restart_artefact');
    expect(StateDigests.decide(prev, 'h', 20, false, true)).toBe('write');
    expect(StateDigests.decide(prev, 'h', 20, true, false)).toBe('write'); // a change event (old_state set) is never an artefact
    expect(StateDigests.decide(prev, 'h', 5, true, true)).toBe('write'); // older than what we hold: a history state
    expect(StateDigests.decide(prev, 'other', 20, true, true)).toBe('write');
    expect(StateDigests.decide(undefined, 'h', 20, true, true)).toBe('write');
  });
  it('is bounded (least recently written evicted) and survives a save/load', () => {
    const d = new StateDigests(3);
    for (const id of ['a', 'b', 'c', 'd']) d.written(id, id, 1);
    d.written('b', 'b2', 2);
    expect(d.size).toBe(3);
    expect(d.get('a')).toBeUndefined();
    const copy = new StateDigests(3);
    copy.load(JSON.parse(JSON.stringify(d.toJSON())));
    expect(copy.get('b')).toEqual({ hash: 'b2', t: 2 });
    expect(copy.dirty).toBe(false);
    d.written('b', 'older', 1); // an older state does not replace a newer digest
    expect(d.get('b')).toEqual({ hash: 'b2', t: 2 });
    expect(d.at('b', 1)).toEqual({ hash: 'b', t: 1 }); // the one before is kept for earlier times
    d.written('b', 'between', 1.5); // a backfilled state between the two becomes the one before
    expect(d.at('b', 1.7)).toEqual({ hash: 'between', t: 1.5 });
    expect(d.at('b', 5)).toEqual({ hash: 'b2', t: 2 });
    expect(d.at('b', 1)).toBeUndefined();
    copy.load(JSON.parse(JSON.stringify(d.toJSON())));
    expect(copy.at('b', 1.6)).toEqual({ hash: 'between', t: 1.5 });
  });
});

describe('pipeline', () => {
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
