// One fixed script over a raw WebSocket, run against the simulator and
// against a real Home Assistant; it records the *shape* of every reply so the
// two can be compared without caring about values.

import WebSocket from 'ws';
import { byId, changedEntity, eventFor, type Msg, ScriptClient } from './conformance-client';
import { CONFORMANCE_LEVEL, CONFORMANCE_SWITCH } from './demo-home';
import type { Tolerance } from './version-differences';
import { diffShapes, pathMatches, shapeOf, type Shape, type ShapeDifference, type ShapeRules } from './shapes';

export interface ShapeLog {
  haVersion: string;
  steps: Array<{ step: string; shape: Shape | null }>;
}

export interface ConformanceOptions {
  /** Per reply; real HA can be slow under load. */
  timeoutMs?: number;
  /** Pause before the history queries so a real recorder has committed (commit_interval 1 s). */
  settleMs?: number;
}

// What to treat as data-keyed maps or not to descend into, per step.
const ATTRS: ShapeRules = { opaque: ['*.attributes'] };
const RULES: Record<string, ShapeRules> = {
  get_states: ATTRS,
  'state_changed.toggle': ATTRS,
  'state_changed.set_value': ATTRS,
  'history.full': { maps: ['result'], opaque: ['result{}[].a'] },
  'history.minimal': { maps: ['result'], opaque: ['result{}[].a'] },
  'subscribe_entities.initial': { maps: ['event.a'], opaque: ['event.a{}.a'] },
  'subscribe_entities.diff': { maps: ['event.c'], opaque: ['event.c{}.+.a'] },
  'config/entity_registry/list': { opaque: ['result[].options', 'result[].categories'] },
  'config/device_registry/list': { maps: ['result[].config_entries_subentries'] },
  'persistent_notification.current': { maps: ['event.notifications'] },
  'persistent_notification.added': { maps: ['event.notifications'] },
  'persistent_notification.removed': { maps: ['event.notifications'] },
  'config/entity_registry/list_for_display': { maps: ['result.entity_categories'] },
};

/**
 * The same value written again (2024.4+: a report, not a change). Behaviour, not shape, so it is recorded as keys
 * that are there only when something happened: `state_changed` if the subscriber got one for it, and
 * `last_reported_moved` if the state's JSON shows a last_reported after its last_updated. Neither HA version does
 * either (2025.4.4 caches the state's JSON at the change; 2024.3.3 does nothing at all), so each side records `{}`.
 */
async function unchangedWrite(
  client: ScriptClient,
  command: (step: string | null, body: Msg) => Promise<Msg | null>,
  sub: number,
  value: number,
): Promise<Msg> {
  await command(null, {
    type: 'call_service',
    domain: 'input_number',
    service: 'set_value',
    service_data: { entity_id: CONFORMANCE_LEVEL, value },
  });
  const changed = await client.next(eventFor(sub, changedEntity(CONFORMANCE_LEVEL)), 500);
  const states = (await command(null, { type: 'get_states' }))?.['result'];
  const level = (Array.isArray(states) ? (states as Msg[]) : []).find((s) => s['entity_id'] === CONFORMANCE_LEVEL);
  const moved = level !== undefined && 'last_reported' in level && level['last_reported'] !== level['last_updated'];
  return { ...(changed ? { state_changed: changed } : {}), ...(moved ? { last_reported_moved: true } : {}) };
}

/** Not `homeiq_…`: an ingestor sharing the real peer dismisses notifications of that prefix it did not raise. */
const NOTIFICATION_ID = 'conformance_notification';

/**
 * Persistent notifications as the ingestor uses them (and its tests watch them): subscribe, create, get, a create
 * the schema refuses, dismissing an unknown id (no error) and a shown one. Each subscriber event is recorded.
 */
async function notificationSteps(
  client: ScriptClient,
  command: (step: string | null, body: Msg) => Promise<Msg | null>,
  record: (step: string, msg: Msg | null) => void,
  sub: number,
  timeoutMs: number,
): Promise<void> {
  const ours = (type: string) =>
    eventFor(sub, (e) => e['type'] === type && NOTIFICATION_ID in ((e['notifications'] as Msg | undefined) ?? {}));
  const service = (service: string, data: Msg): Msg => ({
    type: 'call_service',
    domain: 'persistent_notification',
    service,
    service_data: data,
  });
  await command('persistent_notification/subscribe', { type: 'persistent_notification/subscribe' });
  record(
    'persistent_notification.current',
    await client.next(
      eventFor(sub, (e) => e['type'] === 'current'),
      timeoutMs,
    ),
  );
  await command(
    'call_service.notification_create',
    service('create', { notification_id: NOTIFICATION_ID, title: 'Conformance', message: 'Shown by the script.' }),
  );
  record('persistent_notification.added', await client.next(ours('added'), timeoutMs));
  await command('persistent_notification/get', { type: 'persistent_notification/get' });
  await command('call_service.notification_no_message', service('create', { title: 'no message' }));
  await command(
    'call_service.notification_dismiss_unknown',
    service('dismiss', { notification_id: 'conformance_none' }),
  );
  await command('call_service.notification_dismiss', service('dismiss', { notification_id: NOTIFICATION_ID }));
  record('persistent_notification.removed', await client.next(ours('removed'), timeoutMs));
  await command(null, { type: 'unsubscribe_events', subscription: sub });
}

/**
 * Drives the conformance script against `wsUrl` and records the shape of
 * every reply. Needs `input_boolean.conformance_switch` and
 * `input_number.conformance_level` (min 0, max 100) on the target.
 */
export async function runConformanceScript(
  wsUrl: string,
  token: string,
  options: ConformanceOptions = {},
): Promise<ShapeLog> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const ws = new WebSocket(wsUrl);
  // Listen before `open`: auth_required can arrive in the same chunk as the upgrade answer.
  const client = new ScriptClient(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const steps: ShapeLog['steps'] = [];
  const record = (step: string, msg: Msg | null) => steps.push({ step, shape: msg ? shapeOf(msg, RULES[step]) : null });
  let id = 0;
  const command = async (step: string | null, body: Msg): Promise<Msg | null> => {
    const n = ++id;
    client.send({ id: n, ...body });
    const reply = await client.next(byId(n), timeoutMs);
    if (step) record(step, reply);
    return reply;
  };

  try {
    const required = await client.next((m) => m['type'] === 'auth_required', timeoutMs);
    record('auth_required', required);
    client.send({ type: 'auth', access_token: token });
    const ok = await client.next((m) => m['type'] === 'auth_ok' || m['type'] === 'auth_invalid', timeoutMs);
    record('auth_ok', ok);
    if (ok?.['type'] !== 'auth_ok') throw new Error(`authentication failed: ${JSON.stringify(ok)}`);

    await command('supported_features', { type: 'supported_features', features: { coalesce_messages: 1 } });
    await command('get_config', { type: 'get_config' });
    const states = await command('get_states', { type: 'get_states' });
    const level = Number(
      (states?.['result'] as Msg[] | undefined)?.find((s) => s['entity_id'] === CONFORMANCE_LEVEL)?.['state'] ?? 0,
    );

    const sub = id + 1;
    await command('subscribe_events', { type: 'subscribe_events', event_type: 'state_changed' });
    await command('call_service', {
      type: 'call_service',
      domain: 'input_boolean',
      service: 'toggle',
      target: { entity_id: CONFORMANCE_SWITCH },
    });
    record('state_changed.toggle', await client.next(eventFor(sub, changedEntity(CONFORMANCE_SWITCH)), timeoutMs));
    await command('call_service.set_value', {
      type: 'call_service',
      domain: 'input_number',
      service: 'set_value',
      service_data: { entity_id: CONFORMANCE_LEVEL, value: (Math.round(level) + 7) % 100 },
    });
    record('state_changed.set_value', await client.next(eventFor(sub, changedEntity(CONFORMANCE_LEVEL)), timeoutMs));
    record('unchanged_write', await unchangedWrite(client, command, sub, (Math.round(level) + 7) % 100));
    await command('unsubscribe_events', { type: 'unsubscribe_events', subscription: sub });
    // Refused since state_reported exists (2024.4); accepted by 2024.3, where no such event ever fires.
    const reported = await command('subscribe_events.state_reported', {
      type: 'subscribe_events',
      event_type: 'state_reported',
    });
    if (reported?.['success'] === true)
      await command(null, { type: 'unsubscribe_events', subscription: reported['id'] as number });
    await command('ping', { type: 'ping' });
    await notificationSteps(client, command, record, id + 1, timeoutMs);

    await new Promise((r) => setTimeout(r, options.settleMs ?? 1500));
    const history = {
      type: 'history/history_during_period',
      start_time: new Date(Date.now() - 3_600_000).toISOString(),
      entity_ids: [CONFORMANCE_SWITCH, CONFORMANCE_LEVEL],
    };
    await command('history.full', { ...history, significant_changes_only: false });
    await command('history.minimal', { ...history, minimal_response: true, no_attributes: true });

    const entitiesSub = id + 1;
    await command('subscribe_entities', {
      type: 'subscribe_entities',
      entity_ids: [CONFORMANCE_SWITCH, CONFORMANCE_LEVEL],
    });
    record('subscribe_entities.initial', await client.next(eventFor(entitiesSub), timeoutMs));
    await command(null, {
      type: 'call_service',
      domain: 'input_boolean',
      service: 'toggle',
      target: { entity_id: CONFORMANCE_SWITCH },
    });
    record(
      'subscribe_entities.diff',
      await client.next(
        eventFor(entitiesSub, (e) => 'c' in e),
        timeoutMs,
      ),
    );

    for (const type of [
      'config/entity_registry/list',
      'config/entity_registry/list_for_display',
      'config/device_registry/list',
      'config/area_registry/list',
      'config/floor_registry/list',
      'config/label_registry/list',
    ]) {
      await command(type, { type });
    }
    await command('unknown_command', { type: 'homeiq/no_such_command' });
    // Id 5 certainly reached a handler above, so it counts as used everywhere.
    client.send({ id: 5, type: 'ping' });
    record('id_reuse', await client.next((m) => m['id'] === 5, timeoutMs));
    client.send({ type: 'ping' });
    record('invalid_format', await client.next((m) => m['id'] === null, timeoutMs));
    return { haVersion: String(ok['ha_version']), steps };
  } finally {
    ws.terminate();
  }
}

function toleratedBy(d: ShapeDifference, allow: readonly Tolerance[]): Tolerance | undefined {
  return allow.find(
    (t) =>
      (t.step === '*' || t.step === d.step) &&
      t.kinds.includes(d.kind) &&
      (t.path === '*' || pathMatches(t.path, d.path)),
  );
}

export interface ShapeComparison {
  /** Differences no allow-list entry covers: each one is a fidelity bug. */
  differences: ShapeDifference[];
  /** Differences the allow-list accepted, with its reason. */
  tolerated: ShapeDifference[];
}

/** Compares the shape logs of a real HA and the simulator step by step. */
export function compareShapes(real: ShapeLog, sim: ShapeLog, allow: readonly Tolerance[] = []): ShapeComparison {
  const simSteps = new Map(sim.steps.map((s) => [s.step, s.shape]));
  const realSteps = new Map(real.steps.map((s) => [s.step, s.shape]));
  const all: ShapeDifference[] = [];
  for (const [step, shape] of realSteps)
    all.push(...diffShapes(step, shape, simSteps.has(step) ? (simSteps.get(step) ?? null) : null));
  for (const [step, shape] of simSteps) if (!realSteps.has(step)) all.push(...diffShapes(step, null, shape));
  const out: ShapeComparison = { differences: [], tolerated: [] };
  for (const d of all) {
    const t = toleratedBy(d, allow);
    if (t) out.tolerated.push({ ...d, tolerated: t.why });
    else out.differences.push(d);
  }
  return out;
}

/** The allow-list entries no difference of `comparison` needed (an entry that is no longer true of the versions). */
export function unusedTolerances(comparison: ShapeComparison, allow: readonly Tolerance[]): Tolerance[] {
  return allow.filter((t) => !comparison.tolerated.some((d) => toleratedBy(d, [t]) === t));
}
