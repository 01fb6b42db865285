import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Health } from './health.js';
import type { Service } from './lifecycle.js';

/** An error whose message is safe to show to the HTTP client. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * The one error middleware at the top of every app: operational errors keep their status and message,
 * anything else becomes a 500 whose details stay in the log.
 */
export function errorMiddleware(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string; details?: unknown };
      const status = e.status ?? e.statusCode ?? 500;
      const expose = err instanceof HttpError || (e.expose === true && status < 500);
      ctx.status = status;
      ctx.body = {
        error: expose ? e.message : 'Internal error',
        ...(err instanceof HttpError && err.details ? { details: err.details } : {}),
      };
      if (status >= 500) log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
    }
  };
}

/** `GET /health`: 200 unless a check is red, then 503; the body lists every check. */
export function healthMiddleware(health: Health): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/health' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const report = health.report();
    ctx.status = report.status === 'red' ? 503 : 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = report;
  };
}

export interface HttpServiceOptions {
  name: string;
  app: Koa;
  host: string;
  port: number;
  log: Logger;
}

/** Binds a Koa app to a port as a lifecycle service; `stop()` also ends keep-alive and streaming connections. */
export class HttpService implements Service {
  readonly name: string;
  #server: Server | undefined;

  constructor(private readonly opts: HttpServiceOptions) {
    this.name = opts.name;
  }

  async start(): Promise<void> {
    const server = this.opts.app.listen({ host: this.opts.host, port: this.opts.port });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.#server = server;
    const a = server.address() as AddressInfo;
    this.opts.log.info(`listening on ${a.address}:${a.port}`);
  }

  /** The bound port (useful when started with port 0). */
  port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? this.opts.port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}
