/**
 * Reading HA's schema back: states encoded the way HA's influxdb integration writes them (the ha_compatible
 * encoder, itself checked against HA's code) are read back into states, and those encode in HomeIQ's layout to the
 * lines the original states give, apart from the losses the schema forces (documented in ha-schema.ts).
 */
import { describe, expect, it } from 'vitest';
import { encodeHaCompatible } from '../points/ha-compatible.js';
import { StateEncoder } from '../points/state-encoder.js';
import type { EncodeOptions, HaState } from '../points/state-model.js';
import { HaStateReader, haEntityId, nsBefore, nsToIso, type MappingNote } from './ha-schema.js';
import type { SourcePoint } from './source-types.js';

const TS = '2026-09-01T10:01:00.123456+00:00';
const NS = '1788256860123456000';
/** NS as InfluxDB prints it. */
const TIME = '2026-09-01T10:01:00.123456Z';
const haOpts: EncodeOptions = { maxStringLength: 16_384, excludeAttributes: new Set(), layout: 'ha_compatible' };
const homeiq: EncodeOptions = { maxStringLength: 16_384, excludeAttributes: new Set(), layout: 'homeiq' };

/** Splits at `sep` outside quotes and not escaped (our own lines only). */
function split(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i += 1) {
    const c = s[i] as string;
    if (c === '\\') {
      cur += c + (s[i + 1] ?? '');
      i += 1;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
const unescapeKey = (s: string): string => s.replace(/\\(.)/g, '$1');

/** A line of ours as InfluxDB would store it, as a source reads it (time text first). */
function parseLine(line: string): SourcePoint {
  const [seriesText = '', fieldText = '', timeNs = ''] = split(line, ' ');
  const [measurement = '', ...tagParts] = split(seriesText, ',');
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const t of tagParts) {
    const [k = '', v = ''] = split(t, '=');
    tags[unescapeKey(k)] = unescapeKey(v);
  }
  const fields = ['time'];
  const values: unknown[] = [TIME];
  const ints = new Set<number>();
  for (const f of split(fieldText, ',')) {
    const eq = split(f, '=');
    const v = eq.slice(1).join('=');
    fields.push(unescapeKey(eq[0] ?? ''));
    if (v.startsWith('"')) values.push(v.slice(1, -1).replace(/\\(["\\])/g, '$1'));
    else if (v === 'true' || v === 'false') values.push(v === 'true');
    else if (v.endsWith('i')) {
      ints.add(values.length);
      values.push(Number(v.slice(0, -1)));
    } else values.push(Number(v));
  }
  const series = { measurement: unescapeKey(measurement), tags, fields, ints, entityId: haEntityId(tags) };
  return { series, values, timeNs };
}

/** A point of series `sensor.t` in `measurement` with the given fields. */
function point(measurement: string, fields: Record<string, unknown>, tags: Record<string, string> = {}): SourcePoint {
  const all = { domain: 'sensor', entity_id: 't', ...tags };
  const series = {
    measurement,
    tags: all,
    fields: ['time', ...Object.keys(fields)],
    ints: new Set<number>(),
    entityId: haEntityId(all),
  };
  return { series, values: [TIME, ...Object.values(fields)], timeNs: NS };
}

const st = (entity_id: string, state: string, attributes: Record<string, unknown> = {}): HaState => ({
  entity_id,
  state,
  attributes,
  last_updated: TS,
});

function roundTrip(s: HaState): { back: HaState | undefined; notes: MappingNote[] } {
  const line = encodeHaCompatible(s, TS, haOpts).line as string;
  const p = parseLine(line);
  const notes: MappingNote[] = [];
  return { back: new HaStateReader().read(p, p.series.entityId as string, notes), notes };
}

/** The HomeIQ line of a state, fields sorted (their order means nothing to InfluxDB). */
function homeiqLine(s: HaState): string {
  const [series, fields, time] = split(new StateEncoder(homeiq).encode(s).line as string, ' ');
  return `${series} ${split(fields as string, ',')
    .sort()
    .join(',')} ${time}`;
}

describe('reading HA schema points back into states', () => {
  it('gives the same HomeIQ line for states the schema carries whole', () => {
    const states = [
      st('sensor.kitchen_temperature', '21.5', {
        unit_of_measurement: '°C',
        device_class: 'temperature',
        state_class: 'measurement',
        friendly_name: 'Kitchen temperature',
      }),
      st('binary_sensor.door', 'on', { device_class: 'door', friendly_name: 'Door' }),
      st('input_select.mode', 'away', { options: ['home', 'away', 'night'], friendly_name: 'Mode' }),
      st('light.desk', 'off', {
        supported_color_modes: ['hs', 'color_temp'],
        rgb_color: [255, 0, 10],
        brightness: 120,
      }),
      st('sensor.energy', '12.5', { unit_of_measurement: 'kWh', last_reset: '2026-09-01T00:00:00+00:00' }),
      st('climate.hall', 'heat', { hvac_modes: ['off', 'heat'], temperature: 20.5, preset: { a: 1, b: 'x' } }),
      st('sensor.text', 'a "quoted" \\ text, with = signs', { note: 'line\nbreak' }),
    ];
    for (const s of states) {
      const { back } = roundTrip(s);
      expect(back, s.entity_id).toBeDefined();
      expect(homeiqLine(back as HaState), s.entity_id).toBe(homeiqLine(s));
    }
  });

  it('numbers: the state is the stored number as text, booleans stay numbers', () => {
    const { back, notes } = roundTrip(st('input_number.level', '21.0', { unit_of_measurement: '%', editable: false }));
    expect(back).toMatchObject({ state: '21', attributes: { unit_of_measurement: '%', editable: 0 } });
    expect(notes).toContain('state_from_value');
  });

  it("drops the digit tail of a text attribute, leaves out 'None', converts Python lists and keeps other reprs", () => {
    const { back, notes } = roundTrip(
      st('sensor.x', 'ok', {
        reading: '12.5 kWh',
        pattern: null,
        options: ['a', "b'c", 'd"e'],
        when: 'datetime.datetime(2026, 1, 1, 0, 0)',
        modes: "[<HVACMode.OFF: 'off'>]",
      }),
    );
    expect(back?.attributes).toEqual({
      reading: '12.5 kWh',
      options: ['a', "b'c", 'd"e'],
      when: 'datetime.datetime(2026, 1, 1, 0, 0)',
      modes: "[<HVACMode.OFF: 'off'>]",
    });
    expect(notes).toEqual(expect.arrayContaining(['none_attribute', 'python_value', 'python_text']));
  });

  it('attributes named state and value: renamed or not by HA, read back under their own name', () => {
    expect(roundTrip(st('sensor.a', '21.5', { state: 'ok' })).back).toMatchObject({
      state: '21.5',
      attributes: { state: 'ok' },
    });
    expect(roundTrip(st('sensor.b', '21.5', { state: 3 })).back).toMatchObject({
      state: '21.5',
      attributes: { state: 3 },
    });
    expect(roundTrip(st('sensor.c', 'heat', { value: 3 })).back).toMatchObject({
      state: 'heat',
      attributes: { value: 3 },
    });
    expect(roundTrip(st('sensor.d', 'on', { state: 'x', value: 2 })).back).toMatchObject({
      state: 'on',
      attributes: { state: 'x', value: 2 },
    });
  });

  it('units: the measurement unless it is the entity id; measurement_attr layouts read the unit field', () => {
    const reader = new HaStateReader();
    const notes: MappingNote[] = [];
    const attrs = (p: SourcePoint): Record<string, unknown> | undefined =>
      reader.read(p, 'sensor.t', notes)?.attributes;
    expect(attrs(point('sensor.t', { value: 3 }))).toEqual({});
    expect(attrs(point('W', { value: 3 }))).toEqual({ unit_of_measurement: 'W' });
    expect(attrs(point('sensor__power', { value: 3, unit_of_measurement_str: 'W' }))).toEqual({
      device_class: 'power',
      unit_of_measurement: 'W',
    });
    expect(attrs(point('sensor.t', { value: 3, unit_of_measurement_str: 'W' }))).toEqual({ unit_of_measurement: 'W' });
    expect(attrs(point('sensor.t', { value: 3, friendly_name_str: null }))).toEqual({});
    expect(reader.read(point('sensor.t', { friendly_name_str: 'x' }), 'sensor.t', notes)).toBe(undefined);
    expect(reader.read(point('sensor.t', { value: null, state: undefined }), 'sensor.t', notes)).toBe(undefined);
    // The time is the source's text; integers beyond 2^53 arrive as bigint.
    expect(reader.read(point('sensor.t', { value: 2n ** 60n }), 'sensor.t', notes)).toMatchObject({
      state: String(2n ** 60n),
      last_updated: TIME,
    });
  });

  it('extra tags become text attributes; only domain + entity_id tags make an HA series', () => {
    const p = point('W', { value: 1 }, { entity_id: 'plug', source: 'ha' });
    const notes: MappingNote[] = [];
    expect(new HaStateReader().read(p, 'sensor.plug', notes)?.attributes).toMatchObject({ source: 'ha' });
    expect(notes).toContain('tag_as_attribute');
    expect(haEntityId({ domain: 'sensor' })).toBeUndefined();
    expect(haEntityId({ domain: 'Sensor', entity_id: 'x' })).toBeUndefined();
    expect(haEntityId({ domain: 'sensor', entity_id: 'x_1' })).toBe('sensor.x_1');
  });
});

describe('times', () => {
  it('prints ns as ISO with six or nine fraction digits, exact', () => {
    expect(nsToIso(NS)).toBe('2026-09-01T10:01:00.123456Z');
    expect(nsToIso('1788256860123456789')).toBe('2026-09-01T10:01:00.123456789Z');
    expect(nsToIso(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(nsToIso('5')).toBe('1970-01-01T00:00:00.000000005Z');
  });

  it('compares ns digits like numbers', () => {
    expect(nsBefore('999', '1000')).toBe(true);
    expect(nsBefore('1000', '999')).toBe(false);
    expect(nsBefore('-5', '3')).toBe(true);
    expect(nsBefore(NS, NS)).toBe(false);
  });
});
