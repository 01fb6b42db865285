/**
 * Test helper (not part of the add-on): appends numbered points to a spool as fast as it can and prints
 * `durable <n>` each time points 0..n-1 are fsynced. The crash test SIGKILLs it at a random moment.
 */
import { createLogger, LogSecrets } from '@homeiq/shared';
import { Spool } from '../../../homeiq-ingestor/src/spool/spool.js';

const dir = process.argv[2] as string;
const spool = new Spool({
  dir,
  maxBytes: 1024 ** 3,
  segmentBytes: 64 * 1024,
  log: createLogger({ level: 'error', name: 'child', secrets: new LogSecrets() }),
});
await spool.start();
let n = 0;
for (;;) {
  const burst = 1 + Math.floor(Math.random() * 200);
  for (let i = 0; i < burst; i += 1) {
    spool.append(`m,k=v value=${n},s="${'x'.repeat(n % 97)}" ${n}`);
    n += 1;
  }
  await spool.sync();
  process.stdout.write(`durable ${n}\n`);
}
