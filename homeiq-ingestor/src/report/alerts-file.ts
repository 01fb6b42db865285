import { parseJson, writeFileAtomic, type Logger } from '@homeiq/shared';
import { readFile, stat } from 'node:fs/promises';
import { persistedAlertsSchema, type PersistedAlerts } from './alert-tracker.js';

/** More than the schema's bounds allow (100 alerts of at most ~11 KB): anything larger is not ours. */
const MAX_BYTES = 2 * 1024 * 1024;

/**
 * `/data/alerts.json`: the alerts raised when the add-on stopped. Missing on the first start; a file that is too
 * large, unreadable or not of the expected shape is ignored with one log line (the alerts are judged afresh).
 */
export async function readAlertsFile(file: string, log: Logger): Promise<PersistedAlerts | undefined> {
  try {
    const { size } = await stat(file);
    if (size > MAX_BYTES) throw new Error(`${size} bytes, more than it can hold`);
    return persistedAlertsSchema.parse(parseJson(await readFile(file, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn(`ignoring ${file}: ${(err as Error).message.slice(0, 200)}`);
    return undefined;
  }
}

export async function writeAlertsFile(file: string, alerts: PersistedAlerts, log: Logger): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(alerts)).catch((err: unknown) =>
    log.warn(`cannot save the raised alerts: ${(err as Error).message}`),
  );
}
