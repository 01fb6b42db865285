// persistent_notification/get and persistent_notification/subscribe (components/persistent_notification).

import type { Command } from './connection';

export const notificationCommands: Record<string, Command> = {
  'persistent_notification/get': {
    fields: {},
    handler: (conn, msg) => conn.sendResult(msg['id'] as number, conn.core.notifications.list()),
  },

  'persistent_notification/subscribe': {
    fields: {},
    handler: (conn, msg) => {
      const id = msg['id'] as number;
      // The result first, then `current` with everything shown now, then one event per change.
      conn.sendResult(id);
      const unsub = conn.core.notifications.listen((type, notifications) =>
        conn.sendEvent(id, { type, notifications }),
      );
      conn.subscriptions.set(id, unsub);
    },
  },
};
