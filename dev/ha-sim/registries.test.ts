import { afterEach, describe, expect, it } from 'vitest';
import { startHaSimulator, type HaSimulator } from './index';
import { RawClient, type Msg } from './test-client';

let sim: HaSimulator;
let client: RawClient;
afterEach(async () => {
  client?.close();
  await sim?.stop();
});

const list = async (type: string) => (await client.command({ type }))['result'] as Msg[];

describe("registries (today's HA)", () => {
  it("list the demo home with today's keys", async () => {
    sim = await startHaSimulator();
    client = await RawClient.connect(sim.wsUrl, sim.token);
    const floors = await list('config/floor_registry/list');
    expect(floors.map((f) => f['floor_id'])).toEqual(['ground_floor', 'first_floor']);
    expect(Object.keys(floors[0] ?? {}).sort()).toEqual([
      'aliases',
      'created_at',
      'floor_id',
      'icon',
      'level',
      'modified_at',
      'name',
    ]);
    const labels = await list('config/label_registry/list');
    expect(Object.keys(labels[0] ?? {}).sort()).toEqual([
      'color',
      'created_at',
      'description',
      'icon',
      'label_id',
      'modified_at',
      'name',
    ]);
    const areas = await list('config/area_registry/list');
    expect(areas.find((a) => a['area_id'] === 'bedroom')).toMatchObject({
      name: 'Bedroom',
      floor_id: 'first_floor',
      labels: [],
    });
    const devices = await list('config/device_registry/list');
    expect(devices.length).toBeGreaterThanOrEqual(5);
    expect(typeof devices[0]?.['created_at']).toBe('number');
    const entities = await list('config/entity_registry/list');
    const level = entities.find((e) => e['entity_id'] === 'input_number.conformance_level');
    expect(level).toMatchObject({ platform: 'input_number', labels: [], categories: {}, disabled_by: null });
    expect(entities.some((e) => e['entity_id'] === 'zone.home')).toBe(false);
    const display = (await client.command({ type: 'config/entity_registry/list_for_display' }))['result'] as {
      entity_categories: Msg;
      entities: Msg[];
    };
    expect(display.entity_categories).toEqual({ '0': 'config', '1': 'diagnostic' });
    const temp = display.entities.find((e) => e['ei'] === 'sensor.living_room_temperature');
    expect(temp).toMatchObject({ pl: 'zha', lb: [], en: 'Temperature' });
    expect(temp?.['di']).toMatch(/^[0-9a-f]{32}$/);
    expect(display.entities.find((e) => e['ei'] === 'sensor.front_door_battery')?.['ec']).toBe(1);
  });

  it('fire *_registry_updated events with the old values of what changed', async () => {
    sim = await startHaSimulator();
    client = await RawClient.connect(sim.wsUrl, sim.token);
    const sub = await client.subscribe({ type: 'subscribe_events' });
    const next = () => client.event(sub);
    sim.registries.setEntity({ entity_id: 'sensor.new_one', platform: 'demo' });
    expect(await next()).toMatchObject({
      event_type: 'entity_registry_updated',
      data: { action: 'create', entity_id: 'sensor.new_one' },
    });
    sim.registries.setEntity({ entity_id: 'sensor.new_one', name: 'Renamed', area_id: 'kitchen' });
    expect((await next())['data']).toEqual({
      action: 'update',
      entity_id: 'sensor.new_one',
      changes: { name: null, area_id: null },
    });
    sim.registries.setEntity({ entity_id: 'sensor.new_one', name: 'Renamed' });
    sim.registries.removeEntity('sensor.new_one');
    expect((await next())['data']).toEqual({ action: 'remove', entity_id: 'sensor.new_one' });

    sim.registries.setDevice({ id: 'dev1', name: 'D' });
    expect(await next()).toMatchObject({
      event_type: 'device_registry_updated',
      data: { action: 'create', device_id: 'dev1' },
    });
    sim.registries.setArea({ area_id: 'attic', name: 'Attic' });
    expect(await next()).toMatchObject({
      event_type: 'area_registry_updated',
      data: { action: 'create', area_id: 'attic' },
    });
    sim.registries.setFloor({ floor_id: 'attic_floor', name: 'Attic', level: 2 });
    expect(await next()).toMatchObject({
      event_type: 'floor_registry_updated',
      data: { action: 'create', floor_id: 'attic_floor' },
    });
    sim.registries.setLabel({ label_id: 'new', name: 'New' });
    expect(await next()).toMatchObject({
      event_type: 'label_registry_updated',
      data: { action: 'create', label_id: 'new' },
    });
    sim.registries.setArea({ area_id: 'attic', name: 'Attic', floor_id: 'attic_floor' });
    expect((await next())['data']).toEqual({ action: 'update', area_id: 'attic' });
    expect((await list('config/area_registry/list')).find((a) => a['area_id'] === 'attic')?.['floor_id']).toBe(
      'attic_floor',
    );
  });

  it('resolve area, floor and label targets of service calls', async () => {
    sim = await startHaSimulator();
    client = await RawClient.connect(sim.wsUrl, sim.token);
    await client.command({
      type: 'call_service',
      domain: 'light',
      service: 'turn_on',
      target: { floor_id: 'first_floor' },
    });
    expect(sim.states().find((s) => s.entity_id === 'light.bedroom')?.state).toBe('on');
    expect(sim.states().find((s) => s.entity_id === 'light.kitchen')?.state).toBe('off');
    await client.command({ type: 'call_service', domain: 'light', service: 'turn_on', target: { area_id: 'kitchen' } });
    expect(sim.states().find((s) => s.entity_id === 'light.kitchen')?.state).toBe('on');
    await client.command({
      type: 'call_service',
      domain: 'homeassistant',
      service: 'turn_off',
      target: { label_id: 'comfort' },
    });
    expect(sim.states().find((s) => s.entity_id === 'light.living_room')?.state).toBe('off');
    expect(sim.states().find((s) => s.entity_id === 'climate.living_room')?.state).toBe('off');
  });
});

describe('registries (legacy: HA 2024.3.3)', () => {
  it('has floor and label commands, areas without floors, entity labels but no timestamps, devices without labels', async () => {
    sim = await startHaSimulator({ legacy: true });
    client = await RawClient.connect(sim.wsUrl, sim.token);
    const floors = await list('config/floor_registry/list');
    expect(Object.keys(floors[0] ?? {}).sort()).toEqual(['floor_id', 'icon', 'level', 'name']);
    expect((await list('config/label_registry/list')).length).toBeGreaterThan(0);
    const areas = await list('config/area_registry/list');
    expect(Object.keys(areas[0] ?? {}).sort()).toEqual(['aliases', 'area_id', 'icon', 'name', 'picture']);
    const entities = await list('config/entity_registry/list');
    expect(entities[0]).toHaveProperty('labels');
    expect(entities[0]).not.toHaveProperty('created_at');
    const devices = await list('config/device_registry/list');
    expect(devices[0]).not.toHaveProperty('labels');
    expect(devices[0]).not.toHaveProperty('model_id');
  });

  it('fires floor and label events (the registries exist)', async () => {
    sim = await startHaSimulator({ legacy: true });
    client = await RawClient.connect(sim.wsUrl, sim.token);
    const sub = await client.subscribe({ type: 'subscribe_events' });
    sim.registries.setFloor({ floor_id: 'f', name: 'F' });
    sim.registries.setLabel({ label_id: 'l', name: 'L' });
    expect((await client.event(sub))['event_type']).toBe('floor_registry_updated');
    expect((await client.event(sub))['event_type']).toBe('label_registry_updated');
  });
});
