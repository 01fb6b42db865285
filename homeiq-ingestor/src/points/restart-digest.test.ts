import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StateDigests, stateHash } from './restart-digest.js';

/** The digest as first written (sha1 of map/join canonical JSON): persisted digests must keep matching. */
function reference(state: string, attributes: Record<string, unknown>): string {
  const canonical = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  };
  return createHash('sha1')
    .update(`${state}\u0000${canonical(attributes)}`)
    .digest('base64url')
    .slice(0, 16);
}

describe('stateHash', () => {
  it('is the same digest as before for every kind of value', () => {
    const samples: Array<Record<string, unknown>> = [
      {},
      { b: 1, a: 'x', c: null, d: true, e: false },
      { z: [1, 2.5, -0, 1e21, 'a"b\\c\n', null, [], {}], y: { q: { r: [{ s: 1, b: 2 }] }, a: undefined } },
      { ['é']: 1, ['E']: 2, ['e']: 3, ['10']: 4, ['9']: 5, ['\u0000']: 6, ['😀']: 7 },
      { n: Number.NaN, i: Number.POSITIVE_INFINITY, f: () => 1, s: Symbol('x') },
      { hs_color: [30.1, 56.2], friendly_name: 'Lamp "1"', supported_features: 40 },
    ];
    for (const a of samples) expect(stateHash('on', a)).toBe(reference('on', a));
  });
});

describe('lazy digests', () => {
  it('give the same answers as eager ones', () => {
    const lazy = new StateDigests();
    const eager = new StateDigests();
    const attrs = { unit_of_measurement: 'W', friendly_name: 'P' };
    lazy.writtenLazy('sensor.p', '10', attrs, 1);
    eager.written('sensor.p', stateHash('10', attrs), 1);
    lazy.writtenLazy('sensor.p', '11', { ...attrs }, 2);
    eager.written('sensor.p', stateHash('11', attrs), 2);
    expect(lazy.get('sensor.p')).toEqual(eager.get('sensor.p'));
    expect(lazy.at('sensor.p', 1)).toEqual(eager.at('sensor.p', 1));
    expect(lazy.toJSON()).toEqual(eager.toJSON());
  });
  it('hash only when the verdict depends on it, with the verdicts of decide()', () => {
    const d = new StateDigests();
    const attrs = { a: 1 };
    expect(d.decideFor('x.y', '1', attrs, 5, true, true)).toEqual({ verdict: 'write', hash: undefined }); // nothing held
    d.writtenLazy('x.y', '1', attrs, 5);
    expect(d.decideFor('x.y', '1', attrs, 6, true, false)).toEqual({ verdict: 'write', hash: undefined }); // a change event
    expect(d.decideFor('x.y', '1', attrs, 5, true, false)).toEqual({
      verdict: 'already_written',
      hash: stateHash('1', attrs),
    });
    expect(d.decideFor('x.y', '1', attrs, 9, true, true)).toEqual({
      verdict: 'restart_artefact',
      hash: stateHash('1', attrs),
    });
    expect(d.decideFor('x.y', '2', attrs, 9, true, true).verdict).toBe('write');
    expect(d.decideFor('x.y', '1', attrs, 9, false, true)).toEqual({ verdict: 'write', hash: undefined });
  });
});

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
