import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from '@homeiq/shared';
import type Koa from 'koa';
import { ingressUser } from './ingress.js';

export const CSRF_HEADER = 'X-HomeIQ-CSRF';

/**
 * Changing requests must carry `X-HomeIQ-CSRF` with the token rendered into the page for that Home Assistant
 * user: HMAC(secret, user id), the secret random per start of the add-on. Another site cannot read the page
 * (same-origin policy) and cannot send a custom header cross-site without a CORS preflight, which we never
 * grant; an Origin check alone would not do, because ingress requests reach us through two proxies and the
 * Origin header is optional on same-origin requests. A restart changes the secret: the panel then asks to
 * be reloaded.
 */
export class Csrf {
  constructor(private readonly secret: Buffer) {}

  token(userId: string): string {
    return createHmac('sha256', this.secret).update(userId).digest('base64url');
  }

  /** Middleware for changing routes: a Home Assistant user (see DOCS.md on admins) and a valid token. */
  guard(): Koa.Middleware {
    return async (ctx, next) => {
      const user = ingressUser(ctx);
      if (!user) throw new HttpError(403, 'changes need a Home Assistant user; open HomeIQ from the sidebar');
      if (!ctx.get(CSRF_HEADER))
        throw new HttpError(403, `changes need the ${CSRF_HEADER} header the panel sends`, { code: 'csrf' });
      const sent = Buffer.from(ctx.get(CSRF_HEADER));
      const want = Buffer.from(this.token(user.id));
      if (sent.length !== want.length || !timingSafeEqual(sent, want)) {
        throw new HttpError(403, 'the page is out of date (HomeIQ Admin restarted since it was opened); reload it', {
          code: 'csrf',
        });
      }
      await next();
    };
  }
}
