/** Unit tests of the refused-range bookkeeping (RefusedRanges): the spans of HA time the spool refused states in. */
import { describe, expect, it } from 'vitest';
import { RecorderSettle } from './recorder-settle.js';
import { RefusedRanges } from './refused-ranges.js';

describe('refused ranges', () => {
  it('opens at the full mark, closes when there is room, and merges what overlaps or touches', () => {
    const r = new RefusedRanges();
    expect(r.empty).toBe(true);
    r.open(100);
    r.open(150); // already open: keeps the earlier start
    expect(r.openFromUs).toBe(100);
    expect(r.first()).toBeUndefined(); // nothing to recover while it is still open
    r.close(200);
    expect(r.list()).toEqual([{ fromUs: 100, toUs: 200 }]);
    r.add(300, 400);
    r.add(200, 250); // touches the first
    expect(r.list()).toEqual([
      { fromUs: 100, toUs: 250 },
      { fromUs: 300, toUs: 400 },
    ]);
    r.add(240, 310); // bridges both
    expect(r.list()).toEqual([{ fromUs: 100, toUs: 400 }]);
    r.add(10, 20);
    r.add(500, 500); // empty: ignored
    r.add(Number.NaN, 5);
    expect(r.list()).toEqual([
      { fromUs: 10, toUs: 20 },
      { fromUs: 100, toUs: 400 },
    ]);
    expect(r.first()).toEqual({ fromUs: 10, toUs: 20 });
    expect(r.pendingUs).toBe(310);
    r.open(50);
    r.close(120);
    expect(r.list()).toEqual([
      { fromUs: 10, toUs: 20 },
      { fromUs: 50, toUs: 400 },
    ]);
    r.open(600);
    r.close(590); // never ends before it starts
    expect(r.list().at(-1)).toEqual({ fromUs: 600, toUs: 601 });
  });

  it('subtracts what was recovered, splitting a range when needed', () => {
    const r = new RefusedRanges();
    r.add(0, 100);
    r.add(200, 300);
    r.subtract(0, 10);
    r.subtract(50, 60);
    r.subtract(90, 250);
    expect(r.list()).toEqual([
      { fromUs: 10, toUs: 50 },
      { fromUs: 60, toUs: 90 },
      { fromUs: 250, toUs: 300 },
    ]);
    const v = r.version;
    r.subtract(5, 5);
    expect(r.version).toBe(v);
    r.subtract(0, 1000);
    expect(r.empty).toBe(true);
  });

  it('stays bounded by merging the ranges closest to each other (more is replayed, nothing dropped)', () => {
    const r = new RefusedRanges(3);
    r.add(0, 10);
    r.add(100, 110);
    r.add(115, 120); // 5 after the second
    r.add(300, 310);
    expect(r.list()).toEqual([
      { fromUs: 0, toUs: 10 },
      { fromUs: 100, toUs: 120 },
      { fromUs: 300, toUs: 310 },
    ]);
    for (let i = 0; i < 100; i += 1) r.add(1000 + i * 10, 1005 + i * 10);
    expect(r.list().length).toBe(3);
    expect(r.list()[0]?.fromUs).toBe(0);
    expect(r.list().at(-1)?.toUs).toBe(1995);
  });

  it('round-trips through JSON; a range left open at a stop is closed at the last event seen', () => {
    const r = new RefusedRanges();
    r.add(10, 20);
    r.open(100);
    const json = JSON.parse(JSON.stringify(r.toJSON())) as unknown;
    expect(json).toEqual({ ranges: [[10, 20]], openFromUs: 100 });
    const back = new RefusedRanges();
    back.load(json, 180);
    expect(back.list()).toEqual([
      { fromUs: 10, toUs: 20 },
      { fromUs: 100, toUs: 180 },
    ]);
    expect(back.openFromUs).toBeUndefined();
    back.load({ ranges: [[1, 'x'], 'nope', [5, 3]] }, 0);
    expect(back.empty).toBe(true);
    back.load(undefined, 0);
    expect(back.empty).toBe(true);
  });

  it('remembers extra entities (bounded) with the ranges, persists them, and forgets them once nothing is left', () => {
    const r = new RefusedRanges(64, 3);
    r.add(10, 20);
    const v = r.version;
    expect(r.addEntities(['sensor.b', 'sensor.a', 'sensor.a'])).toBe(0);
    expect(r.version).toBeGreaterThan(v); // state.json saves again
    expect(r.addEntities(['sensor.c', 'sensor.d', 'sensor.e'])).toBe(2); // beyond the bound: said, not kept
    const json = JSON.parse(JSON.stringify(r.toJSON())) as unknown;
    expect(json).toEqual({ ranges: [[10, 20]], entities: ['sensor.a', 'sensor.b', 'sensor.c'] });
    const back = new RefusedRanges();
    back.load(json, 0);
    expect(back.entities()).toEqual(['sensor.a', 'sensor.b', 'sensor.c']);
    back.subtract(10, 15);
    expect(back.entities()).toHaveLength(3); // the rest of the range may still need them
    back.subtract(15, 20);
    expect(back.entities()).toEqual([]);
    expect(back.toJSON()).toEqual({ ranges: [] });
    back.load({ ranges: [], entities: ['sensor.a'] }, 0); // nothing to recover: nothing to ask for
    expect(back.entities()).toEqual([]);
  });
});

describe('recorder settle', () => {
  it('holds back only ranges a recent closing touched, until the settle time has passed', () => {
    const s = new RecorderSettle(1000, 2);
    expect(s.ready({ fromUs: 0, toUs: 10 }, 0)).toBe(true);
    s.closed(100, 200, 0);
    expect(s.ready({ fromUs: 0, toUs: 10 }, 1)).toBe(true);
    expect(s.ready({ fromUs: 50, toUs: 150 }, 1)).toBe(false);
    expect(s.ready({ fromUs: 200, toUs: 300 }, 1)).toBe(true); // touches only: a separate range
    expect(s.ready({ fromUs: 50, toUs: 150 }, 1000)).toBe(true);
    s.closed(100, 200, 2000);
    s.closed(500, 600, 2500);
    s.closed(900, 950, 2600); // beyond the bound: the two oldest merge, settling at the later time
    expect(s.ready({ fromUs: 300, toUs: 400 }, 3100)).toBe(false); // inside the merged span [100, 600)
    expect(s.ready({ fromUs: 300, toUs: 400 }, 3500)).toBe(true);
    s.closed(undefined, undefined, 4000); // ranges loaded at start: every one waits
    expect(s.ready({ fromUs: 0, toUs: 1 }, 4999)).toBe(false);
  });
});
