import { request, type ClientRequest } from 'node:http';
import { HttpError, parseJson } from '@homeiq/shared';
import type Koa from 'koa';
import * as z from 'zod';
import { SiblingUnavailable, type SiblingLocator } from '../siblings/locator.js';
import { ADDON_PORTS } from '@homeiq/shared/contracts';

/** Of a non-200 reply we show 200 characters; this much is read looking for its JSON `error`. */
const ERROR_BODY_BYTES = 64 * 1024;

const list = (v: unknown): string[] =>
  (typeof v === 'string' ? [v] : Array.isArray(v) ? (v as string[]) : [])
    .flatMap((s) => s.split(','))
    .filter((s) => s !== '');

/** The ingestor's own rules for its stream filters, checked here first so a bad filter is a 400 from us. */
export const streamQuerySchema = z.object({
  type: z.array(z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be an event type')).max(50),
  domain: z.array(z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be a domain such as sensor')).max(50),
  entity: z
    .array(z.string().regex(/^[a-z0-9_.*?]{1,255}$/, 'must be an entity id or a glob such as sensor.*_battery'))
    .max(50),
});

export interface LiveOptions {
  locator: SiblingLocator;
  localAddress: string | undefined;
}

/**
 * `GET /api/events/stream`: the ingestor's live event stream (SSE) relayed to the browser under the ingress
 * prefix. The browser cannot reach the ingestor (add-on network), and the ingestor answers only us; we pass
 * the filters and `Last-Event-ID` on, pipe the events back unchanged, and drop the upstream request when the
 * browser goes away. The panel never talks to Home Assistant itself.
 */
export function liveStream(opts: LiveOptions): Koa.Middleware {
  return async (ctx) => {
    const r = streamQuerySchema.safeParse({
      type: list(ctx.query['type']),
      domain: list(ctx.query['domain']),
      entity: list(ctx.query['entity']),
    });
    if (!r.success)
      throw new HttpError(
        400,
        'invalid filter',
        r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      );
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(r.data)) if (v.length > 0) qs.set(k, v.join(','));
    const last = ctx.get('Last-Event-ID');
    // Listen before anything is asked: the browser may leave during the address lookup or while the ingestor
    // checks who we are, and an upstream stream answered after that would have no reader and never end.
    let up: ClientRequest | undefined;
    let gone = false;
    ctx.res.once('close', () => {
      gone = true;
      up?.destroy();
    });
    const ip = await opts.locator.address('homeiq-ingestor');
    if (gone) {
      ctx.respond = false;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      up = request({
        host: ip,
        port: ADDON_PORTS.ingestorApi,
        path: `/api/events/stream${qs.size > 0 ? `?${qs}` : ''}`,
        headers: { Accept: 'text/event-stream', ...(/^\d{1,15}$/.test(last) ? { 'Last-Event-ID': last } : {}) },
        localAddress: opts.localAddress,
        timeout: 5000,
      });
      const upstream = up;
      upstream.on('timeout', () => upstream.destroy(new Error('no answer within 5000 ms')));
      upstream.on('error', (err) => {
        // Our own destroy because the browser left says nothing about the ingestor.
        if (gone) return resolve();
        opts.locator.forget('homeiq-ingestor');
        if (ctx.respond === false) ctx.res.end();
        reject(
          new SiblingUnavailable(
            'homeiq-ingestor',
            `HomeIQ Ingestor's live stream did not answer (${err.message})`,
            'unreachable',
          ),
        );
      });
      upstream.on('close', () => {
        if (gone) resolve();
      });
      upstream.on('response', (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            chunks.push(c);
            size += c.length;
            // Only the start of the message is shown: an endless error body gets neither our memory nor our wait.
            if (size >= ERROR_BODY_BYTES) res.destroy();
          });
          // 'close' follows 'end', our destroy above and an ingestor that hangs up mid-body alike.
          res.once('close', () => {
            if (gone) return resolve();
            const text = Buffer.concat(chunks).toString('utf8');
            let msg = text.slice(0, 200);
            try {
              msg = (parseJson(text) as { error?: string }).error ?? msg;
            } catch {
              // Plain text (or cut short): keep it as the message.
            }
            const status = res.statusCode === 404 ? 501 : 502;
            reject(
              new HttpError(
                status,
                status === 501 ? 'this version of HomeIQ Ingestor has no live event stream' : `HomeIQ Ingestor: ${msg}`,
              ),
            );
          });
          return;
        }
        // Connected: from here on the socket is ours; the stream ends when either side closes.
        upstream.setTimeout(0);
        ctx.respond = false;
        ctx.res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-store',
          'X-Accel-Buffering': 'no',
        });
        ctx.res.flushHeaders();
        ctx.res.socket?.setNoDelay(true);
        res.pipe(ctx.res);
        res.on('close', () => ctx.res.end());
        resolve();
      });
      upstream.end();
    });
  };
}
