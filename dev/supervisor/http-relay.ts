/**
 * Relays one HTTP response from an upstream request to the caller, as both Supervisor proxies do (Core REST
 * and ingress): headers flushed first so event streams start at once, the upstream torn down when the caller
 * hangs up or the emulator stops, and a 502 when the upstream fails before answering.
 * @module
 */
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.js';
import { sendPlainStatus } from './http-util.js';

/**
 * Resolves once the exchange is over. `headersOf` shapes the relayed response headers; `send` writes the
 * request body (or pipes it) and ends the upstream request.
 */
export function relayResponse(
  upstream: ClientRequest,
  res: ServerResponse,
  ctx: EmulatorContext,
  headersOf: (up: IncomingMessage) => OutgoingHttpHeaders,
  send: () => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const untrack = ctx.track(() => upstream.destroy());
    const finish = (): void => {
      untrack();
      resolve();
    };
    // The caller hanging up must not leave the upstream request (often an SSE stream) open.
    res.on('close', () => {
      upstream.destroy();
      finish();
    });
    upstream.on('error', () => {
      if (!res.headersSent) sendPlainStatus(res, 502);
      else res.destroy();
      finish();
    });
    // Redirects are relayed as they are: neither Core nor the Supervisor follows them.
    upstream.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, headersOf(up));
      res.flushHeaders();
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    send();
  });
}
