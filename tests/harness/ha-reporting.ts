// What the issue-16 end-to-end tests run beside a real Home Assistant and read back from it: states (unknown ones
// as undefined), HomeIQ's notifications, the registries, and HA's own log about HomeIQ's entities.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createStateDriver, haRest, HaHttpError, type RealHa } from '../../dev/peers/homeassistant.js';
import { wsCommand } from '../../dev/peers/homeassistant/onboarding.js';
import { until } from '../../dev/until.js';
import { type Notification, NotificationWatch } from './ha-notifications.js';

/** The notification grace period, short on purpose: the option's minimum is 5 s; users get 120 s. */
export const GRACE_S = 10;
/** The ingestor's options both suites give it: alerts after GRACE_S, entities updated every 5 s. */
export const REPORTING_OPTIONS = { notify_after_s: GRACE_S, ha_entities_interval_s: 5, flush_interval_ms: 200 };

export interface HaState {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
}

export type HaReader = ReturnType<typeof haReader>;

export function haReader(ha: RealHa) {
  const state = async (id: string): Promise<HaState | undefined> => {
    try {
      return await haRest<HaState>(ha, 'GET', `/api/states/${id}`);
    } catch (err) {
      if (err instanceof HaHttpError && err.status === 404) return undefined;
      throw err;
    }
  };
  const value = async (id: string): Promise<string | undefined> => (await state(id))?.state;
  return {
    state,
    value,
    number: async (id: string): Promise<number> => Number(await value(id)),
    registry: async <T>(kind: 'entity' | 'device'): Promise<T[]> =>
      (await wsCommand(ha.wsUrl, ha.token, { type: `config/${kind}_registry/list` })) as T[],
    /**
     * HA's log lines that name HomeIQ's discovery topics or entities at WARNING or ERROR: HA validates each
     * discovery config (units, device and state classes, options) and each value, and logs what it refuses.
     */
    complaints: async (): Promise<string[]> =>
      (await readFile(join(ha.configDir, 'home-assistant.log'), 'utf8'))
        .split('\n')
        .filter((l) => / (WARNING|ERROR) /.test(l) && /homeassistant\/\w+\/homeiq\/|\.homeiq_(?!test_)/.test(l)),
  };
}

export interface Observed {
  read: HaReader;
  watch: NotificationWatch;
  /** HomeIQ's notifications HA shows now. */
  ours: () => Promise<Notification[]>;
  /** Ends the state changes and the watch. */
  stop: () => Promise<void>;
}

/** State changes in HA for HomeIQ to ingest (4 a second, at most 30 min) and a watch on HA's notifications. */
export async function observe(ha: RealHa): Promise<Observed> {
  const driver = createStateDriver(ha, { ratePerSecond: 4, durationMs: 30 * 60_000 });
  driver.start();
  const watch = await NotificationWatch.start(ha);
  return {
    read: haReader(ha),
    watch,
    ours: async () => (await watch.list()).filter((n) => n.notification_id.startsWith('homeiq_')),
    stop: async () => {
      watch.close();
      await driver.stop();
    },
  };
}

/** Waits for `cond` with `context` (a process's log tail) on a timeout; resolves with how long it took. */
export function waiter(context: () => string | Promise<string>) {
  return async (what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<number> => {
    const start = Date.now();
    await until(what, cond, { ms, everyMs: 250, context });
    return Date.now() - start;
  };
}
