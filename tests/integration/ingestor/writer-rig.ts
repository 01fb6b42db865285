/** An InfluxWriter with its spool and quarantine in `dir`, writing to whatever `target()` says (read per request). */
import { Backoff, createLogger, Health, LogSecrets } from '@homeiq/shared';
import { join } from 'node:path';
import { Quarantine } from '../../../homeiq-ingestor/src/influx/quarantine.js';
import { InfluxSender, type InfluxTarget } from '../../../homeiq-ingestor/src/influx/send.js';
import { InfluxWriter } from '../../../homeiq-ingestor/src/influx/writer.js';
import { Spool } from '../../../homeiq-ingestor/src/spool/spool.js';

const log = createLogger({ level: 'fatal', name: 'test', secrets: new LogSecrets() });

export async function writerRig(dir: string, target: () => InfluxTarget) {
  const spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 1 << 30, log });
  const health = new Health();
  const quarantine = new Quarantine({ file: join(dir, 'quarantine.jsonl'), maxBytes: 1 << 20, log, health });
  const sender = new InfluxSender();
  let invalidated = 0;
  const writer = new InfluxWriter({
    spool,
    sender,
    quarantine,
    health,
    log,
    target: {
      get: async () => target(),
      invalidate: () => {
        invalidated += 1;
      },
    },
    batchLines: 500,
    batchBytes: 1 << 20,
    flushIntervalMs: 20,
    backoff: new Backoff({ initialMs: 50, maxMs: 200 }),
  });
  await spool.start();
  await quarantine.start();
  await writer.start();
  return {
    spool,
    quarantine,
    health,
    writer,
    invalidated: () => invalidated,
    /** The `influxdb-writes` health check's reason. */
    writes: () => health.report().checks.find((c) => c.name === 'influxdb-writes')?.reason ?? '',
    stop: async () => {
      await writer.stop();
      await spool.stop();
      sender.close();
    },
  };
}
