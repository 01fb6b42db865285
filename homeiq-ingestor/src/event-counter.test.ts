import { describe, expect, it } from 'vitest';
import { EventCounter } from './event-counter.js';

const event = (type: string, at = '2026-01-01T00:00:00.000000+00:00') => ({
  event_type: type,
  data: {},
  time_fired: at,
});

describe('EventCounter', () => {
  it('counts by type and keeps the last time fired', () => {
    const c = new EventCounter();
    c.record(event('state_changed'));
    c.record(event('call_service'));
    c.record(event('state_changed', '2026-01-01T00:00:01.000000+00:00'));
    expect(c.counts()).toEqual({
      total: 3,
      byType: { state_changed: 2, call_service: 1 },
      lastEventAt: '2026-01-01T00:00:01.000000+00:00',
    });
  });

  it('counts types beyond 200 together as (other), still counting the known ones', () => {
    const c = new EventCounter();
    for (let i = 0; i < 250; i += 1) c.record(event(`custom_${i}`));
    c.record(event('custom_0'));
    c.record(event('custom_249'));
    const { total, byType } = c.counts();
    expect(total).toBe(252);
    expect(Object.keys(byType)).toHaveLength(201);
    expect(byType['(other)']).toBe(51);
    expect(byType['custom_0']).toBe(2);
  });
});
