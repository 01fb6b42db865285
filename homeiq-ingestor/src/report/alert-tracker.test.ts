import { describe, expect, it } from 'vitest';
import { AlertTracker, persistedAlertsSchema } from './alert-tracker.js';

const A = { id: 'homeiq_influxdb', title: 'HomeIQ cannot write to InfluxDB', message: 'for 1 min' };
const B = { id: 'homeiq_quarantine', title: 'quarantine', message: '3 points' };

describe('AlertTracker', () => {
  it('raises an alert only after its condition held for the whole grace period', () => {
    const t = new AlertTracker(10_000, 10_000);
    t.update(0, [A]);
    t.update(9_999, [A]);
    expect(t.shown()).toEqual([]);
    t.update(10_000, [A]);
    expect(t.shown()).toEqual([A]);
    expect(t.takeDirty()).toBe(true);
    expect(t.takeDirty()).toBe(false);
  });

  it('a condition that goes away during the grace starts over: no flapping notification', () => {
    const t = new AlertTracker(10_000, 10_000);
    t.update(0, [A]);
    t.update(6_000, []);
    t.update(7_000, [A]);
    t.update(16_000, [A]);
    expect(t.shown()).toEqual([]);
    t.update(17_000, [A]);
    expect(t.shown()).toEqual([A]);
  });

  it('keeps a raised alert (with its latest text) until the condition stayed away for the clear period', () => {
    const t = new AlertTracker(1_000, 5_000);
    t.update(0, [A]);
    t.update(1_000, [{ ...A, message: 'for 2 min' }]);
    t.update(2_000, []);
    t.update(4_000, [{ ...A, message: 'for 3 min' }]); // back before the clear period ended
    t.update(5_000, []);
    t.update(9_999, []);
    expect(t.shown()).toEqual([{ ...A, message: 'for 3 min' }]);
    t.update(10_000, []);
    expect(t.shown()).toEqual([]);
    expect(t.raised()).toEqual([]);
  });

  it('a dismissed alert stays raised (the entities count it) but is not shown until its episode ends', () => {
    const t = new AlertTracker(0, 0);
    t.update(0, [A, B]);
    t.dismiss(A.id);
    expect(t.shown()).toEqual([B]);
    expect(t.raised().map((a) => a.id)).toEqual([A.id, B.id]);
    t.update(1, [B]);
    t.update(2, [A, B]);
    expect(t.shown()).toEqual([B, A]);
  });

  it('persists the raised alerts, and a restored one stays raised without a new grace', () => {
    const t = new AlertTracker(60_000, 60_000);
    t.update(0, [A, B]);
    t.update(60_000, [A]); // B goes away within its grace: not raised, not persisted
    t.dismiss(A.id);
    const saved = persistedAlertsSchema.parse(JSON.parse(JSON.stringify(t.persisted())));
    expect(saved.alerts).toEqual([{ ...A, since: 0, raisedAt: 60_000, dismissed: true }]);
    const after = new AlertTracker(60_000, 60_000);
    after.restore(saved);
    after.update(70_000, [A]);
    expect(after.raised()).toEqual([A]);
    expect(after.shown()).toEqual([]);
    after.update(71_000, []);
    after.update(131_000, []);
    expect(after.raised()).toEqual([]);
  });
});
