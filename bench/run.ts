// `npm run bench -- <name>`: runs one benchmark; each prints what it measures and, as its last line, one
// JSON object with the numbers (for CI and for comparing runs). One module per bench in this folder.
export {};

const BENCHES: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  admin: () => import('./admin.js'),
  ingest: () => import('./ingest.js'),
  e2e: () => import('./e2e.js'),
};

const name = process.argv[2];
const load = name ? BENCHES[name] : undefined;
if (!load) {
  console.error(`bench: unknown or missing bench ${name ?? ''}; expected one of ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
await (await load()).run();
