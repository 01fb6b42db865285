import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Bind the outgoing socket to this address (tests give each add-on its own loopback address). */
  localAddress?: string | undefined;
  timeoutMs?: number;
  /** Largest response body accepted; a larger one is an error rather than unbounded memory. */
  maxBodyBytes?: number;
  /**
   * `'truncate'`: past `maxBodyBytes` the response is cut there (the connection is closed, which also stops the
   * work behind it) and answered with `truncated: true`, instead of the default error.
   */
  onTooLarge?: 'error' | 'truncate';
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body was cut at `maxBodyBytes` (only with `onTooLarge: 'truncate'`). */
  truncated?: boolean;
}

export class HttpRequestError extends Error {
  override readonly name = 'HttpRequestError';
  constructor(
    message: string,
    /** Set when the server did answer: too slowly, or too much. */
    readonly reason?: 'timeout' | 'too-large',
  ) {
    super(message);
  }
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;

/**
 * One HTTP request with a deadline and a body cap. node:http rather than fetch because fetch cannot bind
 * a local address without undici's Agent, and sibling identity checks depend on the source address.
 */
export function httpRequestRaw(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  const u = new URL(url);
  // node:https only when asked for: loading it (TLS, OpenSSL) costs ~3 MiB of resident memory for good.
  const send = u.protocol === 'https:' ? process.getBuiltinModule('node:https').request : httpRequest;
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        localAddress: opts.localAddress,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size + c.length > maxBody) {
            if (opts.onTooLarge === 'truncate') {
              chunks.push(c.subarray(0, maxBody - size));
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks),
                truncated: true,
              });
              req.destroy();
              return;
            }
            req.destroy(new HttpRequestError(`${u.pathname}: response larger than ${maxBody} bytes`, 'too-large'));
            return;
          }
          size += c.length;
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new HttpRequestError(`${u.host}${u.pathname}: no answer within ${opts.timeoutMs ?? 10_000} ms`, 'timeout'),
      ),
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
