// `npm run bench -- <name>`: runs one benchmark; each prints what it measures and, as its last line, one
// JSON object with the numbers (for CI and for comparing runs). One module per bench in this folder.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { productionNodeFlags } from '../dev/addon-process.js';

const BENCHES: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  admin: () => import('./admin.js'),
  ingest: () => import('./ingest.js'),
  e2e: () => import('./e2e.js'),
  footprint: () => import('./footprint.js'),
  'versus-ha': () => import('./versus-ha.js'),
  migrate: () => import('./migrate.js'),
  'influxql-memory': () => import('./influxql-memory.js'),
};

const name = process.argv[2];
const load = name ? BENCHES[name] : undefined;
if (!load) {
  console.error(`bench: unknown or missing bench ${name ?? ''}; expected one of ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
// The ingest bench runs the ingestor's code in this process: with the Node flags the add-on's run script gives
// the ingestor (heap sizing changes GC costs), re-executing itself once when they are missing.
const flags = name === 'ingest' ? productionNodeFlags('ingestor').filter((f) => !process.execArgv.includes(f)) : [];
if (flags.length > 0) {
  // vite-node leaves [node, vite-node, ...args] in argv: put this script back in front of the arguments.
  const argv = [process.argv[1] as string, fileURLToPath(import.meta.url), '--', ...process.argv.slice(2)];
  const child = spawnSync(process.execPath, [...process.execArgv, ...flags, ...argv], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
await (await load()).run();
