// config/*_registry/list commands (homeassistant/components/config/*_registry.py).

import type { Command } from './connection';
import { CommandError, str } from './schema';

const list = (pick: (r: import('./registries').Registries) => unknown): Command => ({
  fields: {},
  handler: (conn, msg) => conn.sendResult(msg['id'] as number, pick(conn.core.registries)),
});

export const registryCommands: Record<string, Command> = {
  'config/entity_registry/list': list((r) => r.listEntities()),
  'config/entity_registry/list_for_display': list((r) => r.listForDisplay()),
  'config/device_registry/list': list((r) => r.listDevices()),
  'config/area_registry/list': list((r) => r.listAreas()),
  'config/floor_registry/list': list((r) => r.listFloors()),
  'config/label_registry/list': list((r) => r.listLabels()),
  'config/entity_registry/get': {
    fields: { entity_id: { required: true, check: str } },
    handler: (conn, msg) => {
      const entityId = msg['entity_id'] as string;
      const entry = conn.core.registries.listEntities().find((e) => e['entity_id'] === entityId);
      if (!entry) throw new CommandError('not_found', 'Entity not found');
      const state = conn.core.states.get(entityId);
      conn.sendResult(msg['id'] as number, {
        ...entry,
        aliases: [],
        capabilities: null,
        device_class: null,
        original_device_class: (state?.attributes['device_class'] as string | undefined) ?? null,
        original_icon: null,
      });
    },
  },
};
