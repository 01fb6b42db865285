import { existsSync } from 'node:fs';
import { startInfluxd, type RealInfluxd } from '../peers/influxd.js';

/**
 * The real influxd peer. Until homeiq-influxdb/Dockerfile (which pins the version) lands, the build script is
 * told the version the peer harness was built for.
 */
export function startRealInfluxd(opts: Parameters<typeof startInfluxd>[0] = {}): Promise<RealInfluxd> {
  if (!existsSync(new URL('../../homeiq-influxdb/Dockerfile', import.meta.url))) process.env['INFLUXDB_VERSION'] ??= '2.9.1';
  return startInfluxd(opts);
}
