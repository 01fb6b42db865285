import { HttpError } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { autoWindow, planExplore, type PlanInput } from './plan.js';

const H = 3_600_000;
const D = 24 * H;
const BUCKETS = { raw: 'homeassistant', downsampled: ['homeassistant_5m', 'homeassistant_1h'] };
const plan = (span: number, over: Partial<PlanInput> = {}) =>
  planExplore({ startMs: 0, endMs: span, widthPx: 1000, source: 'auto', every: 'auto', buckets: BUCKETS, ...over });

describe('Explore plan', () => {
  it('picks about one point per pixel from the coarsest bucket that fits', () => {
    expect(autoWindow(2 * 365 * D, 1000)).toBe('1d');
    expect(plan(H)).toMatchObject({ source: 'raw', every: '5s', field: 'value' });
    expect(plan(24 * H)).toMatchObject({ source: 'raw', every: '2m' });
    expect(plan(2 * D)).toMatchObject({ source: '5m', bucket: 'homeassistant_5m', every: undefined, field: 'mean' });
    expect(plan(7 * D)).toMatchObject({ source: '5m', every: '15m' });
    expect(plan(30 * D)).toMatchObject({ source: '1h', every: undefined });
    expect(plan(2 * 365 * D)).toMatchObject({ source: '1h', every: '1d', auto: true });
    expect(plan(2 * 365 * D).label).toBe(
      'hourly summaries from homeassistant_1h (mean), mean per 1d (chosen for 2 years at 1000 px)',
    );
    // A narrow chart (a phone) needs fewer points: coarser windows, but never under a hundred points.
    expect(plan(7 * D, { widthPx: 350 })).toMatchObject({ source: '5m', every: '30m' });
    expect(plan(H, { widthPx: 10 })).toMatchObject({ every: '1m' });
  });

  it('falls back to raw when there are no summary buckets', () => {
    expect(plan(2 * 365 * D, { buckets: { raw: 'r', downsampled: [] } })).toMatchObject({
      source: 'raw',
      bucket: 'r',
      every: '1d',
    });
  });

  it('takes overrides, and refuses those that cannot be honoured', () => {
    expect(plan(30 * D, { source: 'raw' })).toMatchObject({ source: 'raw', every: '1h', auto: false });
    expect(plan(30 * D, { every: '6h' })).toMatchObject({ source: '1h', every: '6h' });
    // Windows over summaries hold whole periods: 90 minutes from the 5-minute ones, 7 minutes from raw.
    expect(plan(30 * D, { every: '90m' })).toMatchObject({ source: '5m', every: '90m' });
    expect(plan(7 * D, { every: '7m' })).toMatchObject({ source: 'raw', every: '7m' });
    expect(plan(H, { every: 'none' })).toMatchObject({ source: 'raw', every: undefined });
    expect(plan(H, { every: 'none' }).label).toBe('raw points from homeassistant, not aggregated');
    expect(plan(30 * D, { source: '1h', every: 'none' })).toMatchObject({ source: '1h', every: undefined });
    const refused = (over: Partial<PlanInput>, span = 30 * D): string => {
      try {
        plan(span, over);
      } catch (e) {
        expect(e).toBeInstanceOf(HttpError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(refused({ source: '1h', every: '5m' })).toBe(
      'the hourly summaries cannot be shown per 5m; choose 1h or longer',
    );
    expect(refused({ source: '1h', every: '90m' })).toBe(
      'the hourly summaries cannot be shown per 90m; choose a multiple of 1h',
    );
    expect(refused({ every: '1s' })).toBe(
      '30 days per 1s is more than 20,000 points per entity; choose a longer window',
    );
    expect(refused({ every: '1x' })).toBe('1x is not a window (try 5m, 1h or 1d)');
    expect(refused({ source: '5m', buckets: { raw: 'r', downsampled: [] } })).toBe(
      'HomeIQ InfluxDB has no bucket of 5-minute summaries',
    );
    expect(refused({}, 0)).toBe('the range must end after it starts');
  });
});
