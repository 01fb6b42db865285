import { describe, expect, it } from 'vitest';
import type { FluxRow } from '@homeiq/shared';
import type { FluxParam, InfluxReader } from './flux.js';
import { entityRows } from './queries.js';

/** An InfluxReader that answers with fixed rows and records what it was asked. */
function fakeReader(rows: FluxRow[]): {
  reader: InfluxReader;
  asked: Array<{ flux: string; params: Record<string, FluxParam> }>;
} {
  const asked: Array<{ flux: string; params: Record<string, FluxParam> }> = [];
  const reader = {
    grant: () => Promise.resolve({ buckets: { raw: 'homeassistant', downsampled: [] } }),
    query: (flux: string, params: Record<string, FluxParam>) => {
      asked.push({ flux, params });
      return Promise.resolve(rows);
    },
  } as unknown as InfluxReader;
  return { reader, asked };
}

describe('entity rows', () => {
  it('carry the area of the newest change, counts over every area, and no area when the tag is missing', async () => {
    const { reader, asked } = fakeReader([
      { result: 'counts', entity_id: 'light.kitchen', _measurement: 'light', _value: '3' },
      { result: 'counts', entity_id: 'sensor.moved', _measurement: 'sensor', _value: '5' },
      { result: 'counts', entity_id: 'weather.home', _measurement: 'weather', _value: '1' },
      {
        result: 'lasts',
        entity_id: 'light.kitchen',
        _measurement: 'light',
        _value: 'on',
        _time: '2026-01-01T10:00:00Z',
        area: 'kitchen',
      },
      // Moved from the hallway to the garden within the window: two "lasts", the newer wins.
      {
        result: 'lasts',
        entity_id: 'sensor.moved',
        _measurement: 'sensor',
        _value: '7',
        _time: '2026-01-01T12:00:00Z',
        area: 'garden',
        unit: 'W',
      },
      {
        result: 'lasts',
        entity_id: 'sensor.moved',
        _measurement: 'sensor',
        _value: '6',
        _time: '2026-01-01T11:00:00Z',
        area: 'hallway',
        unit: 'W',
      },
      {
        result: 'lasts',
        entity_id: 'weather.home',
        _measurement: 'weather',
        _value: 'sunny',
        _time: '2026-01-01T09:00:00Z',
        area: '',
      },
    ]);
    const rows = await entityRows(reader, Date.parse('2026-01-02T00:00:00Z'));
    expect(rows).toEqual([
      {
        entityId: 'light.kitchen',
        domain: 'light',
        lastState: 'on',
        lastChange: '2026-01-01T10:00:00Z',
        events: 3,
        unit: undefined,
        area: 'kitchen',
      },
      {
        entityId: 'sensor.moved',
        domain: 'sensor',
        lastState: '7',
        lastChange: '2026-01-01T12:00:00Z',
        events: 5,
        unit: 'W',
        area: 'garden',
      },
      {
        entityId: 'weather.home',
        domain: 'weather',
        lastState: 'sunny',
        lastChange: '2026-01-01T09:00:00Z',
        events: 1,
        unit: undefined,
        area: undefined,
      },
    ]);
    // Values reach InfluxDB as parameters only.
    expect(asked).toHaveLength(1);
    expect(asked[0]?.params).toEqual({ bucket: 'homeassistant', start: '2026-01-01T00:00:00.000Z' });
    expect(asked[0]?.flux).not.toContain('homeassistant');
    expect(asked[0]?.flux).toContain('group(columns: ["entity_id", "_measurement", "area"]) |> last()');
  });
});
