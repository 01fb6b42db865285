import { describeTarget } from '@homeiq/shared/contracts';
import type { IngestorStatus } from '../siblings/clients.js';
import type { Outcome } from '../util/cache.js';

/**
 * With `target: external` the ingestor writes to the user's own InfluxDB, which the panel does not read (it has
 * credentials for the HomeIQ InfluxDB add-on only). The views that show stored data say so, and where the data
 * is, instead of looking empty for no reason. Null while the ingestor writes to the HomeIQ InfluxDB (or is down).
 */
export function elsewhere(status: Outcome<IngestorStatus>): string | null {
  const t = status.ok ? status.value.target : undefined;
  if (t?.kind !== 'external') return null;
  return (
    `HomeIQ Ingestor writes to your own InfluxDB, ${describeTarget(t)}, not to the HomeIQ InfluxDB add-on ` +
    "(its option target is 'external'). The panel reads only the HomeIQ InfluxDB add-on, so what you see here " +
    'is not your recorded data; look at it with the tools of that InfluxDB (Grafana, its own UI or CLI).'
  );
}
