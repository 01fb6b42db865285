// What the conformance script (conformance.ts) sees differ between the two real Home Assistant versions the tests
// run against, and the shape of an allowed difference.
import type { DiffKind } from './shapes';

export interface Tolerance {
  /** Step name; `*` for every step. */
  step: string;
  /** Path as in ShapeDifference; a leading `*` matches any prefix. */
  path: string;
  kinds: DiffKind[];
  why: string;
}

/**
 * What differs between the floor, HA 2024.3.3, and the current peer, 2025.4.4, in the script's replies: every entry
 * measured against both real versions (tests/e2e/ha-conformance.test.ts, which also checks that each entry is still
 * needed). The simulator speaks each version exactly (default and `legacy: true`), so comparing a 2024.3.3 log (on
 * the "real" side) with a 2025.4.4 one gives exactly these, each as missing-in-real.
 */
export const VERSION_DIFFERENCES: readonly Tolerance[] = [
  {
    step: '*',
    path: '*last_reported',
    kinds: ['missing-in-real'],
    why: 'State.last_reported came with state_reported in 2024.4',
  },
  {
    step: 'subscribe_events.state_reported',
    path: 'error',
    kinds: ['missing-in-real'],
    why: '2024.4+ refuses it: "Event filter is required for event state_reported"',
  },
  {
    step: 'subscribe_events.state_reported',
    path: 'result',
    kinds: ['missing-in-sim'],
    why: '2024.3 accepts the subscription (and never fires the event)',
  },
  ...[
    ['result.unit_system.area', 'the area unit'],
    ['result.debug', 'the debug flag'],
    ['result.radius', 'the home zone radius'],
  ].map(
    ([path, what]): Tolerance => ({
      step: 'get_config',
      path: path as string,
      kinds: ['missing-in-real'],
      why: `get_config: ${what as string} is newer than 2024.3`,
    }),
  ),
  ...['categories', 'config_subentry_id', 'created_at', 'modified_at'].map(
    (k): Tolerance => ({
      step: 'config/entity_registry/list',
      path: `result[].${k}`,
      kinds: ['missing-in-real'],
      why: 'entity registry key newer than 2024.3 (which has labels already)',
    }),
  ),
  ...['floor_id', 'labels', 'humidity_entity_id', 'temperature_entity_id', 'created_at', 'modified_at'].map(
    (k): Tolerance => ({
      step: 'config/area_registry/list',
      path: `result[].${k}`,
      kinds: ['missing-in-real'],
      why: 'area registry key newer than 2024.3 (areas had icons, but were not on floors yet)',
    }),
  ),
  ...['labels', 'model_id', 'primary_config_entry', 'config_entries_subentries', 'created_at', 'modified_at'].map(
    (k): Tolerance => ({
      step: 'config/device_registry/list',
      path: `result[].${k}`,
      kinds: ['missing-in-real'],
      why: 'device registry key newer than 2024.3',
    }),
  ),
  ...[
    ['config/floor_registry/list', 'aliases'],
    ['config/floor_registry/list', 'created_at'],
    ['config/floor_registry/list', 'modified_at'],
    ['config/label_registry/list', 'created_at'],
    ['config/label_registry/list', 'modified_at'],
  ].map(
    ([step, k]): Tolerance => ({
      step: step as string,
      path: `result[].${k as string}`,
      kinds: ['missing-in-real'],
      why: 'floor or label key newer than 2024.3 (which has both registries)',
    }),
  ),
];
