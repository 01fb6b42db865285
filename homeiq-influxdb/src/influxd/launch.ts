import { createServer } from 'node:net';
import { join } from 'node:path';
import type { InfluxdTuning } from './memory-profile.js';

// How influxd is started, apart from supervising it (process.ts): its flags, its environment, whether its port
// is free, and the line by which it says it listens.

/**
 * Whether something already listens on host:port: we try to bind it ourselves for a moment. A listener on
 * the same port at any local address (or on all of them) blocks influxd's bind too, and the kernel says so.
 */
export function portInUse(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      // Only a taken port is a clash; anything else (say, an address that is not ours) influxd reports itself.
      resolve(err.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use by another program` : undefined);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** influxd's line when its HTTP listener is bound (`msg=Listening transport=http addr=… port=…`). */
export function isListeningLine(msg: string, fields: Record<string, string>): boolean {
  return msg === 'Listening' && (fields['transport'] === 'http' || fields['transport'] === 'https');
}

/** The flags that keep influxd in our data dir, on our address, silent towards the internet, and without its web UI. */
export function influxdArgs(dataDir: string, host: string, port: number, logLevel: string): string[] {
  return [
    '--reporting-disabled',
    // Nobody could log in to InfluxDB's web UI (the operator password never leaves the add-on): don't serve it.
    '--ui-disabled',
    `--http-bind-address=${host}:${port}`,
    `--bolt-path=${join(dataDir, 'influxd.bolt')}`,
    `--engine-path=${join(dataDir, 'engine')}`,
    `--sqlite-path=${join(dataDir, 'influxd.sqlite')}`,
    `--log-level=${logLevel}`,
  ];
}

/** A clean environment: influxd must not see our Supervisor token, nor INFLUXD_* settings from the image. */
export function influxdEnv(dataDir: string, tuning: InfluxdTuning | undefined): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dataDir,
    TZ: process.env['TZ'] ?? 'UTC',
    ...tuning?.env,
  };
}
