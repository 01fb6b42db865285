// `npm start`: the whole HomeIQ product on this machine. Flags: --real-ha (real Home Assistant Core
// instead of the simulated demo home), --port N (the emulator's port, default 7123), --rate N (state
// changes per second), --quiet (no add-on logs). Data persists in .dev/data until deleted.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './addon-process.js';
import { startDevStack } from './stack.js';

const { values } = parseArgs({
  options: {
    'real-ha': { type: 'boolean', default: false },
    port: { type: 'string', default: '7123' },
    rate: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const COLOURS: Record<string, string> = { influxdb: '35', ingestor: '36', admin: '33' };
const stack = await startDevStack({
  realHa: values['real-ha'] ?? false,
  dataRoot: join(REPO_ROOT, '.dev', 'data'),
  port: Number(values.port),
  ...(values.rate ? { eventsPerSecond: Number(values.rate) } : {}),
  say: (m) => console.log(`[start] ${m}`),
  ...(values.quiet
    ? {}
    : { onLine: (a: string, l: string) => console.log(`\x1b[${COLOURS[a] ?? '0'}m${a.padEnd(8)}\x1b[0m ${l}`) }),
});

console.log(`
HomeIQ is running.
  Panel (through the ingress emulator): ${stack.panelUrl}
  Home Assistant (${stack.homeAssistant.simulated ? 'simulated demo home' : 'real Core'} ${stack.homeAssistant.version}): ${stack.homeAssistant.url}
  Supervisor emulator: ${stack.supervisor.url}
Press Ctrl-C to stop.`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  console.log('[start] stopping');
  void stack.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
