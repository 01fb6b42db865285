/**
 * The Supervisor's API security middleware (`supervisor/api/middleware/security.py`), for add-on tokens.
 * Patterns are copied in spirit from the v1 API so that a call the emulator allows is one production
 * allows, and the other way round.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { RE_SLUG, type Addon, type AddonRegistry } from './registry.js';
import type { HassioRole } from './types.js';

const anchored = (body: string): RegExp => new RegExp(`^(?:${body})$`);

/** Checked before anything else, whoever asks. */
const BLACKLIST = anchored('|/homeassistant/api/hassio/.*|/core/api/hassio/.*');

/** No token check at this layer: the handlers have their own (Core proxy, ingress session, ping). */
const NO_SECURITY_CHECK = anchored(
  '|/homeassistant/api/.*|/homeassistant/websocket|/core/api/.*|/core/websocket|/supervisor/ping' +
    '|/ingress/[-_A-Za-z0-9]+/.*' +
    `|/app/.*\\.(?:js|gz|json|map|woff2)|/(store/)?addons/${RE_SLUG}/(logo|icon)`,
);

/** Any installed add-on's token, no `hassio_api` needed. */
const ADDONS_API_BYPASS = anchored(
  '|/addons/self/(?!security|update)[^/]+|/addons/self/options/config|/info|/services.*|/discovery.*|/auth',
);

/** Only Home Assistant Core may call these; the emulator has no Core token, so nobody may. */
const CORE_ONLY_PATHS = anchored(`/addons/${RE_SLUG}/sys_options`);

const ROLE_ACCESS: Record<HassioRole, RegExp> = {
  default: anchored('|/.+/info'),
  homeassistant: anchored('|/.+/info|/core/.+|/homeassistant/.+'),
  backup: anchored('|/.+/info|/backups.*'),
  manager: anchored(
    '|/.+/info' +
      `|/addons(?:/${RE_SLUG}/(?!security).+|/reload)?` +
      '|/audio/.+|/auth/cache|/available_updates|/backups.*|/cli/.+|/core/.+|/dns/.+|/docker/.+' +
      '|/jobs/.+|/hardware/.+|/hassos/.+|/homeassistant/.+|/host/.+|/mounts.*|/multicast/.+' +
      '|/network/.+|/observer/.+|/os/(?!datadisk/wipe).+|/refresh_updates|/resolution/.+' +
      '|/security/.+|/snapshots.*|/store.*|/supervisor/.+',
  ),
  admin: /.*/,
};

/** Requests the Supervisor's `block_bad_requests` middleware rejects with 400 before any token check. */
const FILTERS =
  /proc\/self\/environ|(<|%3C).*script.*(>|%3E)|(\.\.\/\/?)+|[a-zA-Z0-9_]=\/([a-z0-9_.]\/\/?)+|union.*select.*\(|union.*all.*select.*|concat.*\(/i;

function recursiveUnquote(value: string): string {
  let current = value;
  // Bounded: each round removes at least one escape, and real inputs need one or two.
  for (let i = 0; i < 16; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** True when the Supervisor would reject the request as a likely exploit (HTTP 400). */
export function isFilteredRequest(rawPath: string, rawQuery: string): boolean {
  return FILTERS.test(recursiveUnquote(rawPath)) || FILTERS.test(recursiveUnquote(rawQuery));
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `extract_supervisor_token`: `X-Supervisor-Token`, then legacy `X-Hassio-Key`, then the last word of
 * `Authorization` (so `Bearer <t>` and a bare `<t>` both work).
 */
export function extractSupervisorToken(headers: IncomingHttpHeaders): string | undefined {
  const direct = header(headers, 'x-supervisor-token') || header(headers, 'x-hassio-key');
  if (direct) return direct;
  const auth = header(headers, 'authorization');
  return auth ? auth.split(' ').at(-1) || undefined : undefined;
}

/** Outcome of the security middleware for one request. */
export type AccessDecision =
  | { kind: 'passthrough' }
  | { kind: 'allow'; addon: Addon }
  | { kind: 'deny'; status: 401 | 403; addon?: Addon };

/**
 * Decides like `SecurityMiddleware.token_validation`, in its order: blacklist, passthrough paths, missing
 * token (401), Core-only paths, bypass paths for any add-on, then `hassio_api` plus the role pattern.
 * An unknown token is 403 (not 401) because the Supervisor only answers 401 when no token was sent.
 * `path` must be percent-decoded, as aiohttp's `request.path` is.
 */
export function decideAccess(path: string, token: string | undefined, registry: AddonRegistry): AccessDecision {
  if (BLACKLIST.test(path)) return { kind: 'deny', status: 403 };
  if (NO_SECURITY_CHECK.test(path)) return { kind: 'passthrough' };
  if (!token) return { kind: 'deny', status: 401 };
  const addon = registry.fromToken(token);
  if (CORE_ONLY_PATHS.test(path)) return addon ? { kind: 'deny', status: 403, addon } : { kind: 'deny', status: 403 };
  if (!addon) return { kind: 'deny', status: 403 };
  if (ADDONS_API_BYPASS.test(path)) return { kind: 'allow', addon };
  if (addon.config.hassio_api && ROLE_ACCESS[addon.config.hassio_role].test(path)) return { kind: 'allow', addon };
  return { kind: 'deny', status: 403, addon };
}
