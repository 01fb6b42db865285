/** Unit tests: registry lists → tags, and tags in the encoded point. */
import { createLogger, LogSecrets } from '@homeiq/shared';
import { describe, expect, it } from 'vitest';
import { buildAreas, buildTags, RegistryEnricher } from './registry.js';
import { HaCommandError, type HaSession } from '../ha/ha-session.js';
import { encodeState } from '../points/state-to-points.js';

const lists = {
  entities: [
    { entity_id: 'sensor.a', area_id: null, device_id: 'dev1', labels: ['z_label', 'critical'] },
    { entity_id: 'sensor.b', area_id: 'kitchen', device_id: null, labels: ['gone'] },
    { entity_id: 'sensor.c', area_id: null, device_id: null, labels: [] },
    { bad: true },
  ],
  devices: [
    { id: 'dev1', name: 'Thermo', name_by_user: 'Hall thermometer', area_id: 'hall', labels: ['battery', 'critical'] },
  ],
  areas: [
    { area_id: 'hall', name: 'Hall', floor_id: 'ground' },
    { area_id: 'kitchen', name: 'Kitchen', floor_id: 'deleted_floor' },
    { area_id: 'nameless' },
    { name: 'no id' },
  ],
  floors: [{ floor_id: 'ground', name: 'Ground floor' }],
  labels: [{ label_id: 'critical' }, { label_id: 'battery' }, { label_id: 'z_label' }],
};

describe('registry tags', () => {
  it('resolves area through the device, floor through the area, device name, and sorted labels', () => {
    const tags = buildTags(lists);
    expect(tags.get('sensor.a')).toEqual({
      area: 'hall',
      floor: 'ground',
      device: 'Hall thermometer',
      device_id: 'dev1',
      labels: 'battery,critical,z_label',
    });
    // A deleted floor or label is left out.
    expect(tags.get('sensor.b')).toEqual({ area: 'kitchen' });
    expect(tags.has('sensor.c')).toBe(false);
  });
  it('without floor and label registries (HA before 2024.4): no floor, no labels, the rest as usual', () => {
    const tags = buildTags({ ...lists, floors: undefined, labels: undefined });
    expect(tags.get('sensor.a')).toEqual({ area: 'hall', device: 'Hall thermometer', device_id: 'dev1' });
  });
  it("keeps the area names, with the floor's where the floor exists; a nameless entry shows its id", () => {
    expect(buildAreas(lists)).toEqual([
      { id: 'hall', name: 'Hall', floor: { id: 'ground', name: 'Ground floor' } },
      { id: 'kitchen', name: 'Kitchen' },
      { id: 'nameless', name: 'nameless' },
    ]);
    expect(buildAreas({ ...lists, floors: undefined })[0]).toEqual({ id: 'hall', name: 'Hall' });
  });
  it('writes the tags on the point, escaped', () => {
    const { line } = encodeState(
      { entity_id: 'sensor.a', state: '1', attributes: {}, last_updated: '2026-11-24T10:00:00.000001+00:00' },
      {
        maxStringLength: 100,
        excludeAttributes: new Set(),
        layout: 'homeiq',
        enrich: () => ({ area: 'hall', device: 'Hall thermometer', labels: 'a,b' }),
      },
    );
    expect(line).toBe(
      'sensor,area=hall,device=Hall\\ thermometer,domain=sensor,entity_id=sensor.a,labels=a\\,b state="1",value=1 1795514400000001000',
    );
  });
  it('treats unknown_command for floors and labels as none, and other failures as errors', async () => {
    const enricher = new RegistryEnricher({
      log: createLogger({ level: 'fatal', name: 't', secrets: new LogSecrets() }),
    });
    const session = (fail: string | undefined): HaSession => ({
      connection: 1,
      closed: false,
      ended: new Promise(() => undefined),
      command: async <T>(msg: Record<string, unknown>): Promise<T> => {
        const type = String(msg['type']);
        if (type.includes('floor') || type.includes('label'))
          throw new HaCommandError(fail ?? 'unknown_command', 'Unknown command.');
        return (type.includes('entity') ? lists.entities : type.includes('device') ? lists.devices : lists.areas) as T;
      },
    });
    expect(enricher.areas()).toBeUndefined(); // not read yet: the endpoint answers 503, not an empty list
    await enricher.refresh(session(undefined));
    expect(enricher.status()).toMatchObject({ floors: null, labels: null, areas: 4, devices: 1, refreshes: 1 });
    expect(enricher.tagsFor('sensor.a')).toEqual({ area: 'hall', device: 'Hall thermometer', device_id: 'dev1' });
    expect(enricher.areas()?.[0]).toEqual({ id: 'hall', name: 'Hall' }); // no floor registry, no floor
    await expect(enricher.refresh(session('unauthorized'))).rejects.toThrow();
    expect(enricher.tagsFor('sensor.a')).toBeDefined(); // a failed refresh keeps the previous tags
    expect(enricher.areas()).toHaveLength(3); // and the previous names
  });
});
