import { describe, expect, it } from 'vitest';
import type { HaSession } from '../ha/ha-session.js';
import type { StatePipeline } from '../points/state-pipeline.js';
import { StateReplay } from './state-replay.js';
import { testPipeline } from '../../../tests/harness/state-pipeline.js';

/**
 * Raw time.time() floats as HA's recorder keeps them, with the ISO HA put on the live event for each
 * (CPython's fromtimestamp, checked with python3): a reconnect's gap re-reads them and must find them written.
 */
const RAW: ReadonlyArray<[number, string]> = [
  [1795154322.7665834, '2026-11-20T05:58:42.766583+00:00'],
  [1795154323.9665835, '2026-11-20T05:58:43.966583+00:00'],
  [1795154324.9, '2026-11-20T05:58:44.900000+00:00'],
  [1795154325.5, '2026-11-20T05:58:45.500000+00:00'],
];

function rig(skipRestartDuplicates: boolean): { lines: string[]; pipeline: StatePipeline; replay: StateReplay } {
  const lines: string[] = [];
  const { digests, pipeline } = testPipeline({ sink: { append: (l) => lines.push(l) > 0 }, skipRestartDuplicates });
  return { lines, pipeline, replay: new StateReplay({ pipeline, digests, spool: { sync: async () => undefined } }) };
}

/** `state@timestamp` of each line written. */
const points = (lines: string[]): string[] =>
  lines.map((l) => `${/state="(\d)"/.exec(l)?.[1]}@${l.trim().split(' ').at(-1)}`);

describe('StateReplay: the overlap a reconnect re-reads', () => {
  for (const skip of [true, false]) {
    it(`adds no point beside the live ones when the recorder's floats are re-read (skip_restart_duplicates ${skip})`, async () => {
      const { lines, pipeline, replay } = rig(skip);
      let old: unknown = {
        entity_id: 'sensor.p',
        state: 'x',
        attributes: {},
        last_updated: RAW[0]![1],
        last_changed: RAW[0]![1],
      };
      RAW.forEach(([, iso], i) => {
        const s = {
          entity_id: 'sensor.p',
          state: String(i),
          attributes: { unit_of_measurement: 'W' },
          last_updated: iso,
          last_changed: iso,
        };
        pipeline.onEvent({
          event_type: 'state_changed',
          time_fired: iso,
          data: { entity_id: 'sensor.p', old_state: old, new_state: s },
        });
        old = s;
      });
      expect(lines.length).toBe(RAW.length);
      const session: HaSession = {
        connection: 1,
        closed: false,
        ended: new Promise(() => undefined),
        command: async <T>(): Promise<T> =>
          ({ 'sensor.p': RAW.map(([lu], i) => ({ s: String(i), a: { unit_of_measurement: 'W' }, lu })) }) as T,
      };
      const live = new Set(points(lines));
      await replay.window(session, { startUs: 1_795_154_320_000_000, endUs: undefined }, ['sensor.p'], () => true);
      // Re-writing a point at its very timestamp is harmless (InfluxDB keeps one); 1 µs beside it is a duplicate.
      expect(new Set(points(lines))).toEqual(live);
    });
  }
});
