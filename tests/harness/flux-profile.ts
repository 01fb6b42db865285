/**
 * An InfluxReader that asks influxd's Flux profiler which operators ran each query: a read the storage engine
 * answers (filter and aggregate pushed down) shows as `*influxdb.read…Source` alone, one Flux computes itself as
 * `*universe.filterTransformation`, `…aggregateWindow…` and the like. Not a test file itself.
 */
import type { InfluxReader } from '../../homeiq-admin/src/influx/flux.js';

const PROFILE = 'import "profiler"\noption profiler.enabledProfilers = ["operator"]\n';

/** `reader`, pushing each query's operator types (`Type` of the profiler's table) onto `operators`. */
export function profiledReader(reader: InfluxReader, operators: string[][]): InfluxReader {
  return {
    grant: () => reader.grant(),
    query: async (...[flux, params, read]: Parameters<InfluxReader['query']>) => {
      const rows = await reader.query(`${PROFILE}${flux}`, params, read);
      operators.push(rows.filter((r) => r['result'] === '_profiler').map((r) => r['Type'] ?? ''));
      return rows.filter((r) => r['result'] !== '_profiler');
    },
  } as unknown as InfluxReader;
}
