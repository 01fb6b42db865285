import type { MigrationSourceConfig } from '@homeiq/shared';
import { FluxSource } from './flux-source.js';
import { InfluxqlSource } from './influxql-source.js';
import type { MigrationSource } from './source-types.js';

/** The reader for a source: InfluxQL for InfluxDB 1.x, Flux for 2.x. */
export function openSource(config: MigrationSourceConfig): MigrationSource {
  return config.kind === 'influxdb1' ? new InfluxqlSource(config) : new FluxSource(config);
}
