import { Backoff, createLogger, Health, LogSecrets } from '@homeiq/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { startHaSimulator, type HaSimulator } from '../../../dev/ha-sim/index.js';
import { RawClient } from '../../../dev/ha-sim/test-client.js';
import { until } from '../../../dev/until.js';
import type { HaSession } from '../ha/ha-session.js';
import { HaSocket } from '../ha/ha-socket.js';
import type { Alert } from './alerts.js';
import { HaNotifier } from './notifier.js';

// HaNotifier over the ingestor's own HaSocket against the HA simulator, whose persistent notifications answer as
// real 2025.4.4 does (its conformance script checks them). Time is passed to sync() by hand; the user's clicks
// are the frontend's service calls on a second connection. The whole, against real HA: tests/e2e/ha-reporting.
const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const UPDATE_MS = 60_000;
const QUARANTINE: Alert = { id: 'homeiq_quarantine', title: 'Quarantine', message: '3 points refused.' };

async function rig(): Promise<{
  sim: HaSimulator;
  notifier: HaNotifier;
  dismissed: Set<string>;
  connects: () => number;
  session: () => HaSession;
  sync: (alerts: Alert[], now: number) => Promise<void>;
  shown: () => Promise<string[]>;
  userDismisses: (id: string) => Promise<void>;
}> {
  const sim = await startHaSimulator({ token: 't' });
  cleanups.push(() => sim.stop());
  const dismissed = new Set<string>();
  const notifier = new HaNotifier({ log, updateEveryMs: UPDATE_MS, onDismissed: (id) => dismissed.add(id) });
  let session: HaSession | undefined;
  let connects = 0;
  const socket = new HaSocket({
    url: sim.wsUrl,
    token: 't',
    eventTypes: [],
    log,
    health: new Health(),
    onEvent: () => undefined,
    onConnected: (s) => {
      session = s;
      connects += 1;
      notifier.onConnected(s);
    },
    backoff: new Backoff({ initialMs: 20, maxMs: 100 }),
  });
  cleanups.push(() => socket.stop());
  await socket.start();
  await until('connected', () => session !== undefined, 5000);
  const user = await RawClient.connect(sim.wsUrl, 't');
  const list = async (): Promise<string[]> => {
    const c = await RawClient.connect(sim.wsUrl, 't');
    const r = (await c.command({ type: 'persistent_notification/get' }))['result'] as Array<{
      notification_id: string;
    }>;
    c.close();
    return r.map((n) => n.notification_id);
  };
  return {
    sim,
    notifier,
    dismissed,
    connects: () => connects,
    session: () => session as HaSession,
    // What the reporter does each second: the raised alerts, minus those the user dismissed.
    sync: (alerts, now) =>
      notifier.sync(
        alerts.filter((a) => !dismissed.has(a.id)),
        now,
      ),
    shown: list,
    userDismisses: async (id) => {
      await user.command({
        type: 'call_service',
        domain: 'persistent_notification',
        service: 'dismiss',
        service_data: { notification_id: id },
      });
    },
  };
}

describe('HaNotifier', () => {
  it('a notification the user dismissed stays dismissed, even when its text never changes and HA restarts', async () => {
    const r = await rig();
    const t0 = 1_000_000;
    await r.sync([QUARANTINE], t0);
    expect(await r.shown()).toEqual(['homeiq_quarantine']);
    await r.userDismisses('homeiq_quarantine');
    // The reporter keeps syncing, the problem lasts, its text stays the same.
    for (let t = t0 + 1000; t <= t0 + UPDATE_MS; t += 1000) await r.sync([QUARANTINE], t);
    expect(r.dismissed).toEqual(new Set(['homeiq_quarantine']));
    // Home Assistant restarts (it forgets every notification): not shown again while the problem lasts.
    await r.sim.restart();
    await until('reconnected', () => r.connects() === 2, 10_000);
    await r.sync([QUARANTINE], t0 + UPDATE_MS + 1000);
    expect(await r.shown()).toEqual([]);
  });

  it('after an HA restart the shown ones come back once; one whose problem ended meanwhile is dismissed', async () => {
    const r = await rig();
    const influx: Alert = { id: 'homeiq_influxdb', title: 'InfluxDB', message: 'down for 2 min' };
    await r.sync([QUARANTINE, influx], 0);
    await r.sim.restart();
    await until('reconnected', () => r.connects() === 2, 10_000);
    await r.sync([QUARANTINE, influx], 1000);
    expect((await r.shown()).sort()).toEqual(['homeiq_influxdb', 'homeiq_quarantine']);
    expect(r.dismissed).toEqual(new Set());
    // The add-on restarts (a new notifier, as after reading alerts.json) and InfluxDB recovered meanwhile: its
    // notification is dismissed, the other one stays as it is.
    const again = new HaNotifier({ log, updateEveryMs: UPDATE_MS, onDismissed: () => undefined });
    again.onConnected(r.session());
    await again.sync([QUARANTINE], 2000);
    expect(await r.shown()).toEqual(['homeiq_quarantine']);
  });
});
