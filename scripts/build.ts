// One esbuild configuration for every add-on: `npm run build -- [ingestor|influxdb|admin ...]`.
// Each add-on becomes one minified ESM bundle for Node 24, the runtime of the HA base image, with its source map
// beside it. Node does not load the map (no --enable-source-maps: parsing and holding it cost every add-on tens of
// MiB); the add-ons decode the stacks they print at debug level through it (shared/src/stack-decoder.ts).
// The admin add-on also gets its panel: a browser bundle (JS + CSS) in dist/panel/, served by the server.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';

const root = dirname(import.meta.dirname);
const ADDONS = ['ingestor', 'influxdb', 'admin'];

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = requested.filter((a) => !ADDONS.includes(a));
if (unknown.length > 0) {
  console.error(`build: unknown add-on ${unknown.join(', ')}; expected one of ${ADDONS.join(', ')}`);
  process.exit(2);
}
const targets = requested.length > 0 ? requested : ADDONS;

async function bundle(name: string): Promise<void> {
  const dir = join(root, `homeiq-${name}`);
  const started = Date.now();
  const result = await build({
    entryPoints: [join(dir, 'src', 'main.ts')],
    outfile: join(dir, 'dist', 'main.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // Smaller source to hold and parse (npm run bench -- footprint); names kept, as logs print error class names.
    minify: true,
    keepNames: true,
    sourcemap: true,
    // The map serves to decode stack positions: the sources themselves are in the repository.
    sourcesContent: false,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    // Bundled CommonJS dependencies (pino, koa) call require() for Node built-ins; ESM has no require.
    banner: {
      js: "import { createRequire as __homeiqCreateRequire } from 'node:module'; const require = __homeiqCreateRequire(import.meta.url);",
    },
    // Koa's two mime-types versions would each bring their own copy of the MIME database (~140 KiB of JSON, parsed
    // into the heap at start-up); the newer one is a superset, and one copy serves both.
    alias: { 'mime-db': join(root, 'node_modules', 'mime-db') },
    // ws uses these native accelerators only when installed; the pure-JS path is what we ship.
    external: ['bufferutil', 'utf-8-validate'],
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(
    `built homeiq-${name}/dist/main.mjs (${(bytes / 1024).toFixed(0)} KiB with map) in ${Date.now() - started} ms`,
  );
}

// Browser bundles: entry → dist/panel/panel.{js,css}, minified for the browsers the HA frontend supports.
const PANELS: Record<string, string> = { admin: 'panel/main.tsx' };

async function bundlePanel(name: string, entry: string): Promise<void> {
  const dir = join(root, `homeiq-${name}`);
  const started = Date.now();
  const result = await build({
    entryPoints: [join(dir, entry)],
    outfile: join(dir, 'dist', 'panel', 'panel.js'),
    bundle: true,
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari15'],
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    logLevel: 'warning',
  });
  const js = Object.entries(result.metafile.outputs).find(([f]) => f.endsWith('.js'))?.[1].bytes ?? 0;
  console.log(
    `built homeiq-${name}/dist/panel/ (panel.js ${(js / 1024).toFixed(0)} KiB) in ${Date.now() - started} ms`,
  );
}

const jobs = targets.flatMap((t) => {
  const panel = PANELS[t];
  return panel ? [bundle(t), bundlePanel(t, panel)] : [bundle(t)];
});
const results = await Promise.allSettled(jobs);
const failed = results.filter((r) => r.status === 'rejected');
for (const f of failed) console.error(`build failed: ${(f.reason as Error)?.message ?? f.reason}`);
process.exit(failed.length > 0 ? 1 : 0);
