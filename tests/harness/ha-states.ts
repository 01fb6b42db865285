import type { HaSimulator } from '../../dev/ha-sim/index.js';

/** A state as Home Assistant holds it after it was set: what the ingestor must write for it. */
export interface HeldState {
  entity_id: string;
  state: string;
  last_updated: string;
}

/**
 * Sets `n` temperature states in the simulator, spread over the sensors `sensor.<prefix>_0` … `_4` (values
 * `i + 0.25`), and returns what HA holds after each change (entity, state, last_updated with its microseconds).
 */
export function produceStates(ha: HaSimulator, prefix: string, n: number): HeldState[] {
  const out: HeldState[] = [];
  for (let i = 0; i < n; i += 1) {
    const entity = `sensor.${prefix}_${i % 5}`;
    ha.setState(entity, String(i + 0.25), {
      unit_of_measurement: '°C',
      device_class: 'temperature',
      friendly_name: `T ${i % 5}`,
    });
    const s = ha.states().find((x) => x.entity_id === entity) as HeldState;
    out.push({ entity_id: s.entity_id, state: s.state, last_updated: s.last_updated });
  }
  return out;
}
