/**
 * The Supervisor REST endpoints the emulator implements (after the security middleware has run).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES, type EmulatorContext } from './context.js';
import { BodyTooLargeError, readBody, sendApiError, sendOk, sendPlainStatus } from './http-util.js';
import { addonInfo, addonListEntry, renderOptions, supervisorInfo } from './info.js';
import { RE_SLUG, type Addon } from './registry.js';
import { handleServices, servicesRole } from './services.js';

const ADDON_ROUTE = new RegExp(`^/addons/(${RE_SLUG})/(info|options|options/config)$`);

/** Keys of `POST /addons/<addon>/options` the emulator stores; others are accepted and ignored. */
interface OptionsBody {
  options?: Record<string, unknown> | null;
  boot?: string;
  auto_update?: boolean;
  ingress_panel?: boolean;
  watchdog?: boolean;
}

function parseOptionsBody(raw: Buffer): OptionsBody | string {
  let body: unknown;
  try {
    body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
  } catch {
    return 'Invalid JSON body';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Invalid JSON body';
  const b = body as Record<string, unknown>;
  if ('options' in b && b['options'] !== null && (typeof b['options'] !== 'object' || Array.isArray(b['options']))) {
    return "expected dict for dictionary value @ data['options']";
  }
  for (const key of ['auto_update', 'ingress_panel', 'watchdog'] as const) {
    if (key in b && typeof b[key] !== 'boolean') return `expected boolean for dictionary value @ data['${key}']`;
  }
  if ('boot' in b && b['boot'] !== 'auto' && b['boot'] !== 'manual') {
    return "value must be one of ['auto', 'manual'] for dictionary value @ data['boot']";
  }
  return b as OptionsBody;
}

async function postOptions(req: IncomingMessage, res: ServerResponse, addon: Addon): Promise<void> {
  let raw: Buffer;
  try {
    raw = await readBody(req, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return sendPlainStatus(res, 413);
    throw err;
  }
  const body = parseOptionsBody(raw);
  if (typeof body === 'string') return sendApiError(res, 400, body);
  if (body.options !== undefined) {
    if (body.options === null) {
      addon.userOptions = undefined;
    } else {
      const rendered = renderOptions(addon, body.options);
      if (!rendered.ok) return sendApiError(res, 400, `App ${addon.slug} has invalid options: ${rendered.message}`);
      addon.userOptions = rendered.options;
    }
  }
  if (body.boot !== undefined) addon.boot = body.boot;
  if (body.auto_update !== undefined) addon.autoUpdate = body.auto_update;
  if (body.ingress_panel !== undefined) addon.ingressPanel = body.ingress_panel;
  if (body.watchdog !== undefined) addon.watchdog = body.watchdog;
  sendOk(res);
}

/**
 * Serves one Supervisor API request. `caller` is the add-on the middleware identified (undefined on
 * passthrough paths such as `/supervisor/ping`); `path` is percent-decoded.
 */
export async function handleSupervisorApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  caller: Addon | undefined,
  ctx: EmulatorContext,
): Promise<void> {
  const method = req.method ?? 'GET';
  const only = (allowed: string, run: () => void | Promise<void>): void | Promise<void> =>
    method === allowed ? run() : sendPlainStatus(res, 405);

  if (path === '/supervisor/ping') return only('GET', () => sendOk(res));
  if (path === '/info') return only('GET', () => sendOk(res, supervisorInfo(ctx.core)));
  if (path === '/addons') {
    return only('GET', () =>
      sendOk(res, { addons: ctx.registry.list().map((a) => addonListEntry(a, ctx.registry.repoHash)) }),
    );
  }

  if ((path === '/services' || path.startsWith('/services/')) && caller) {
    const providers = (name: string): string[] =>
      ctx.registry
        .list()
        .filter((a) => servicesRole(a).get(name) === 'provide')
        .map((a) => a.slug);
    return handleServices(req, res, path, caller, ctx.services, providers, MAX_BODY_BYTES);
  }

  const match = ADDON_ROUTE.exec(path);
  if (!match) return sendPlainStatus(res, 404);
  const [, slug = '', action] = match;
  let target: Addon | undefined;
  if (slug === 'self') {
    if (!caller) return sendApiError(res, 400, 'Self is not an App');
    target = caller;
  } else {
    target = ctx.registry.get(slug);
    if (!target) return sendApiError(res, 404, `App ${slug} does not exist`);
  }

  switch (action) {
    case 'info':
      return only('GET', () => sendOk(res, addonInfo(target, caller, ctx.registry.repoHash)));
    case 'options':
      return only('POST', () => postOptions(req, res, target));
    default:
      return only('GET', () => {
        if (slug !== 'self') return sendApiError(res, 403, 'This can be only read by the app itself!');
        const rendered = renderOptions(target);
        if (!rendered.ok) return sendApiError(res, 400, 'Invalid configuration data for the app');
        sendOk(res, rendered.options);
      });
  }
}
