// The ingestor's status as tests and benches read it: only a sibling may ask (the admin add-on's address), and a
// started ingestor is ready once it says it is connected to Home Assistant.
import { httpRequestRaw } from '@homeiq/shared';
import { ADDON_PORTS } from '@homeiq/shared/contracts';
import { launchRegistered, tailOf, type AddonProcess, type LaunchRegisteredOptions } from './addon-process.js';
import { until, type UntilOptions } from './until.js';

/** `GET /api/status` of the ingestor at `ip`, asked from `adminIp`; `T` names the fields the caller reads. */
export async function ingestorStatus<T>(ip: string, adminIp: string): Promise<T> {
  const res = await httpRequestRaw(`http://${ip}:${ADDON_PORTS.ingestorApi}/api/status`, {
    localAddress: adminIp,
    timeoutMs: 10_000,
  });
  if (res.status !== 200) throw new Error(`ingestor /api/status: HTTP ${res.status}`);
  return JSON.parse(res.body.toString('utf8')) as T;
}

export interface LaunchIngestorOptions extends Omit<LaunchRegisteredOptions, 'name' | 'addon'> {
  addon: LaunchRegisteredOptions['addon'] & { ip: string };
  /** Where the status is asked from (the admin add-on's address). */
  adminIp: string;
  /** How long to wait for the connection (default 60 s); a timeout shows the ingestor's last lines. */
  waitMs?: number;
  /** Polling interval of that wait (default 100 ms). */
  everyMs?: UntilOptions['everyMs'];
}

/**
 * Starts the ingestor bundle the way the Supervisor does (launchRegistered; on `dataDir` when given, so a restart
 * keeps its spool and backfill state) and resolves once its status says it is connected to Home Assistant (or
 * kills it and fails).
 */
export async function launchIngestorConnected(opts: LaunchIngestorOptions): Promise<AddonProcess> {
  const { adminIp, waitMs = 60_000, everyMs = 100, ...launch } = opts;
  const proc = await launchRegistered({ name: 'ingestor', ...launch });
  try {
    await until(
      'the ingestor connected to Home Assistant',
      async () =>
        (await ingestorStatus<{ homeAssistant: { connected: boolean } }>(opts.addon.ip, adminIp)).homeAssistant
          .connected,
      { ms: waitMs, everyMs, context: () => tailOf(proc) },
    );
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return proc;
}
