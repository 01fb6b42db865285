import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type Koa from 'koa';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface PanelAssets {
  /** Hash of all files, appended to asset URLs so a new version is never served from a stale cache. */
  version: string;
  files: ReadonlyMap<string, { body: Buffer; type: string }>;
  /** Set when the bundle has no panel assets (a server-only build). */
  missing?: string;
}

/** Loads the browser bundle (`dist/panel/` next to the server bundle) into memory once, at start. */
export async function loadPanelAssets(dir: string): Promise<PanelAssets> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n in TYPES || extname(n) in TYPES).sort();
  } catch (err) {
    return {
      version: '0',
      files: new Map(),
      missing: `${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    };
  }
  const files = new Map<string, { body: Buffer; type: string }>();
  const hash = createHash('sha256');
  for (const n of names) {
    const body = await readFile(join(dir, n));
    files.set(n, { body, type: TYPES[extname(n)] ?? 'application/octet-stream' });
    hash.update(n).update(body);
  }
  const missing = files.has('panel.js') ? undefined : `${dir} has no panel.js; build it with: npm run build -- admin`;
  return { version: hash.digest('hex').slice(0, 12), files, ...(missing ? { missing } : {}) };
}

/** `GET assets/<file>`: from memory; immutable when the URL carries the current version. */
export function assetsMiddleware(assets: PanelAssets): Koa.Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/assets/') || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const f = assets.files.get(ctx.path.slice('/assets/'.length));
    if (!f) {
      ctx.status = 404;
      ctx.body = { error: 'no such asset' };
      return;
    }
    ctx.type = f.type;
    ctx.set('Cache-Control', ctx.query['v'] === assets.version ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.body = f.body;
  };
}
