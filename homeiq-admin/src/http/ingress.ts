import type Koa from 'koa';

/** Strips the IPv4-mapped IPv6 prefix Node reports for IPv4 peers on dual-stack sockets. */
export function normaliseAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

/**
 * Only the Supervisor's ingress proxy may reach the panel (HA has already authenticated the user there);
 * `/health` also answers loopback, for the image's Docker HEALTHCHECK.
 */
export function ingressOnly(allowedPeers: ReadonlySet<string>): Koa.Middleware {
  return async (ctx, next) => {
    const peer = normaliseAddress(ctx.req.socket.remoteAddress);
    if (allowedPeers.has(peer) || (ctx.path === '/health' && LOOPBACK.test(peer))) return next();
    ctx.status = 403;
    ctx.body = { error: 'HomeIQ is only reachable through Home Assistant (open it from the sidebar)' };
  };
}

const INGRESS_PATH = /^\/api\/hassio_ingress\/[A-Za-z0-9_-]{1,128}$/;

/** The ingress prefix for links, validated so a forged header cannot inject markup or redirect elsewhere. */
export function ingressPath(ctx: Koa.Context): string {
  const raw = ctx.get('X-Ingress-Path');
  return INGRESS_PATH.test(raw) ? raw : '';
}

export interface IngressUser {
  id: string;
  name: string;
  displayName: string;
}

/** The Home Assistant user the Supervisor vouches for (it strips client-sent copies of these headers). */
export function ingressUser(ctx: Koa.Context): IngressUser | undefined {
  const id = ctx.get('X-Remote-User-Id');
  if (!id) return undefined;
  return {
    id,
    name: ctx.get('X-Remote-User-Name'),
    displayName: ctx.get('X-Remote-User-Display-Name') || ctx.get('X-Remote-User-Name'),
  };
}
