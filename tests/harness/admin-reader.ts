import { join } from 'node:path';
import { createLogger, LogSecrets } from '@homeiq/shared';
import type { TokenGrant } from '@homeiq/shared/contracts';
import type { InfluxSetup } from '../../dev/peers/influxd.js';
import { InfluxReader } from '../../homeiq-admin/src/influx/flux.js';
import type { ManagerClient } from '../../homeiq-admin/src/siblings/clients.js';
import type { SiblingLocator } from '../../homeiq-admin/src/siblings/locator.js';

export interface AdminReaderOptions {
  /** The influxd onboarded by the test: its operator token stands in for the admin's read token. */
  setup: InfluxSetup;
  /** Where the reader finds InfluxDB (a real influxd, or a stand-in answering as one). */
  host: string;
  port: number;
  /** Where the reader keeps its token file. */
  dir: string;
  /** The summary buckets the grant names (default none). */
  downsampled?: string[];
  /** Called when the reader gives up the address it was given (it thinks InfluxDB is gone). */
  forget?: (sibling: string) => void;
}

/**
 * The admin's InfluxDB reader without the influxdb add-on: the manager and the sibling locator stand in for it
 * (they only hand over the token and the address; the hand-over itself is tested in tests/integration/influxdb).
 */
export function adminReader(o: AdminReaderOptions): InfluxReader {
  const grant: TokenGrant = {
    sibling: 'homeiq-admin',
    token: o.setup.token,
    org: o.setup.org,
    orgId: o.setup.orgId,
    bucket: o.setup.bucket,
    buckets: { raw: o.setup.bucket, downsampled: o.downsampled ?? [] },
    port: o.port,
    influxdbVersion: '2.9.1',
  };
  return new InfluxReader({
    manager: { token: async () => grant } as unknown as ManagerClient,
    locator: { address: async () => o.host, forget: o.forget ?? (() => {}) } as unknown as SiblingLocator,
    tokenFile: join(o.dir, `token-${o.host}-${o.port}.json`),
    localAddress: undefined,
    secrets: new LogSecrets(),
    log: createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets(), write: () => {} }),
  });
}
