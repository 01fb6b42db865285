// Core WebSocket commands (websocket_api/commands.py) and the table every
// connection dispatches on.

import { eventJson, MATCH_ALL } from './bus';
import { entitiesEvent, compressedAdd, type EntityCompressed } from './compressed';
import type { Command } from './connection';
import { historyCommands } from './commands-history';
import { registryCommands } from './commands-registry';
import { notificationCommands } from './commands-notifications';
import { bool, CommandError, dict, dictOfInt, entityIds, isDict, positiveInt, str, type Check } from './schema';

const filterSpec: Check = (v) =>
  isDict(v) && Object.keys(v).every((k) => ['domains', 'entities', 'entity_globs'].includes(k))
    ? null
    : 'expected dict';

const globToRe = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

interface Filter {
  domains?: string[];
  entities?: string[];
  entity_globs?: string[];
}

/**
 * A simplified `convert_include_exclude_filter`: an explicitly named entity
 * always wins, otherwise it must match the include part (if any) and not the
 * exclude part.
 */
function entityFilter(include?: Filter, exclude?: Filter): ((entityId: string) => boolean) | undefined {
  if (!include && !exclude) return undefined;
  const matches = (f: Filter | undefined, e: string) =>
    !!f &&
    ((f.entities ?? []).includes(e) ||
      (f.domains ?? []).includes(e.split('.')[0] ?? '') ||
      (f.entity_globs ?? []).some((g) => globToRe(g).test(e)));
  return (e) => {
    if ((include?.entities ?? []).includes(e)) return true;
    if ((exclude?.entities ?? []).includes(e)) return false;
    const included = !include || matches(include, e);
    return included && !matches(exclude, e);
  };
}

const asIds = (v: unknown): string[] =>
  typeof v === 'string'
    ? v.split(',').map((s) => s.trim().toLowerCase())
    : ((v as string[] | undefined) ?? []).map((s) => s.toLowerCase());

export const coreCommands: Record<string, Command> = {
  supported_features: {
    fields: { features: { required: true, check: dictOfInt } },
    handler: (conn, msg) => {
      conn.setSupportedFeatures(msg['features'] as Record<string, number>);
      conn.sendResult(msg['id'] as number);
    },
  },

  ping: {
    fields: {},
    handler: (conn, msg) => conn.sendJson(JSON.stringify({ id: msg['id'], type: 'pong' })),
  },

  get_states: {
    fields: {},
    handler: (conn, msg) => conn.sendResult(msg['id'] as number, conn.core.states.all()),
  },

  get_config: {
    fields: {},
    handler: (conn, msg) => conn.sendResult(msg['id'] as number, conn.core.config()),
  },

  get_services: {
    fields: {},
    handler: (conn, msg) => conn.sendResult(msg['id'] as number, conn.core.services.describe()),
  },

  subscribe_events: {
    fields: { event_type: { check: str, default: MATCH_ALL } },
    handler: (conn, msg) => {
      const id = msg['id'] as number;
      // Since state_reported exists (2024.4) HA's bus refuses a listener for it without an event filter, and
      // subscribe_events has none to give (measured on 2025.4.4): no WebSocket client can receive it.
      if (msg['event_type'] === 'state_reported' && !conn.core.options.legacy)
        throw new CommandError('home_assistant_error', 'Event filter is required for event state_reported');
      // Today's core serialises the event once and appends the id last (cached_event_message).
      const unsub = conn.core.bus.listen(msg['event_type'] as string, (event) =>
        conn.sendJson(`{"type":"event","event":${eventJson(event)},"id":${id}}`),
      );
      conn.subscriptions.set(id, unsub);
      conn.sendResult(id);
    },
  },

  unsubscribe_events: {
    fields: { subscription: { required: true, check: positiveInt } },
    handler: (conn, msg) => {
      const sub = msg['subscription'] as number;
      const unsub = conn.subscriptions.get(sub);
      if (!unsub) throw new CommandError('not_found', 'Subscription not found.');
      unsub();
      conn.subscriptions.delete(sub);
      conn.sendResult(msg['id'] as number);
    },
  },

  subscribe_entities: {
    fields: { entity_ids: { check: entityIds }, include: { check: filterSpec }, exclude: { check: filterSpec } },
    handler: (conn, msg) => {
      const id = msg['id'] as number;
      const ids = new Set(asIds(msg['entity_ids']));
      const filter = entityFilter(msg['include'] as Filter | undefined, msg['exclude'] as Filter | undefined);
      const wanted = (e: string) => (!ids.size || ids.has(e)) && (!filter || filter(e));
      // Snapshot and listen in the same turn, so no change can slip in between.
      const snapshot = conn.core.states.all().filter((s) => wanted(s.entityId));
      // Updates are cached per event with the id appended last (as a real 2024.3 sends them).
      const unsub = conn.core.bus.listen('state_changed', (event) => {
        if (wanted(event.data['entity_id'] as string))
          conn.sendJson(`{"type":"event","event":${JSON.stringify(entitiesEvent(event))},"id":${id}}`);
      });
      conn.subscriptions.set(id, unsub);
      conn.sendResult(id);
      const a: Record<string, EntityCompressed> = {};
      for (const s of snapshot) a[s.entityId] = compressedAdd(s);
      conn.sendEvent(id, { a });
    },
  },

  call_service: {
    fields: {
      domain: { required: true, check: str },
      service: { required: true, check: str },
      target: { check: dict },
      service_data: { check: dict },
      return_response: { check: bool, default: false },
    },
    handler: (conn, msg) => {
      const context = conn.context();
      conn.core.services.call({
        domain: msg['domain'] as string,
        service: msg['service'] as string,
        serviceData: msg['service_data'] as Record<string, unknown> | undefined,
        target: msg['target'] as Record<string, unknown> | undefined,
        context,
      });
      const result: Record<string, unknown> = { context };
      if (msg['return_response']) result['response'] = null;
      conn.sendResult(msg['id'] as number, result);
    },
  },

  fire_event: {
    fields: { event_type: { required: true, check: str }, event_data: { check: dict } },
    handler: (conn, msg) => {
      const context = conn.context();
      conn.core.fire(msg['event_type'] as string, (msg['event_data'] as Record<string, unknown>) ?? {}, context);
      conn.sendResult(msg['id'] as number, { context });
    },
  },

  'auth/current_user': {
    fields: {},
    handler: (conn, msg) =>
      conn.sendResult(msg['id'] as number, {
        id: conn.core.userId,
        name: 'Owner',
        is_owner: true,
        is_admin: true,
        credentials: [{ auth_provider_type: 'homeassistant', auth_provider_id: null }],
        mfa_modules: [{ id: 'totp', name: 'Authenticator app', enabled: false }],
      }),
  },
};

/** Every command the emulated version knows (2024.3.3 and 2025.4.4 answer the same ones). */
export function buildCommands(): ReadonlyMap<string, Command> {
  return new Map<string, Command>(
    Object.entries({ ...coreCommands, ...historyCommands, ...registryCommands, ...notificationCommands }),
  );
}
