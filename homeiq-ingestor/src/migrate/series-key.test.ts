import { describe, expect, it } from 'vitest';
import { parseSeriesKey } from './series-key.js';

describe('series keys as SHOW SERIES prints them', () => {
  it('splits the measurement and tags, undoing the escapes', () => {
    expect(parseSeriesKey('°C,domain=sensor,entity_id=kitchen')).toEqual({
      measurement: '°C',
      tags: { domain: 'sensor', entity_id: 'kitchen' },
    });
    expect(parseSeriesKey('my\\ unit\\,x,a\\=b=c\\,d,e=f\\ g')).toEqual({
      measurement: 'my unit,x',
      tags: { 'a=b': 'c,d', e: 'f g' },
    });
    expect(parseSeriesKey('cpu')).toEqual({ measurement: 'cpu', tags: {} });
  });
  it('refuses keys that do not parse', () => {
    expect(parseSeriesKey('')).toBeUndefined();
    expect(parseSeriesKey('m,novalue')).toBeUndefined();
    expect(parseSeriesKey('m,=v')).toBeUndefined();
  });
});
