import { influxErrorMessage } from '@homeiq/shared';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { availableParallelism } from 'node:os';
import { gzip as gzipCb, gzipSync, type ZlibOptions } from 'node:zlib';

const gzip = promisify<Buffer, ZlibOptions, Buffer>(gzipCb);

/**
 * gzip level 3: on our line protocol (≈260 B/line) a 1 MiB body takes ≈2.8 ms and shrinks 9.5× at level 3,
 * against 6.4 ms and 12× at the default level 6 and 2.7 ms and 8.8× at level 1 (measured, Node 24). The sibling
 * is on the same host, where the CPU matters more than the bytes; for a remote InfluxDB 9.5× is still most of the gain.
 */
export const GZIP_LEVEL = 3;

/**
 * Where points go: the sibling homeiq-influxdb (`auto`) or a user's InfluxDB (`external`). InfluxDB 2.x (and
 * 1.8's compatibility API, bucket `db/rp`, token `user:password`) takes `/api/v2/write`; an InfluxDB 1.x
 * database takes `/write`.
 */
export type InfluxTarget = V2Target | V1Target;

export interface V2Target {
  api?: 'v2';
  url: string;
  org: string;
  bucket: string;
  token: string;
}

export interface V1Target {
  api: 'v1';
  url: string;
  database: string;
  /** The database's default retention policy when left out. */
  retentionPolicy?: string | undefined;
  /** None for a server without authentication. */
  username?: string | undefined;
  password?: string | undefined;
}

/** The write URL and Authorization header of a target. */
export function writeRequest(target: InfluxTarget): { url: URL; authorization: string | undefined } {
  if (target.api === 'v1') {
    const url = endpoint(target.url, '/write');
    url.searchParams.set('db', target.database);
    if (target.retentionPolicy) url.searchParams.set('rp', target.retentionPolicy);
    url.searchParams.set('precision', 'ns');
    const basic =
      target.username !== undefined
        ? `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`
        : undefined;
    return { url, authorization: basic };
  }
  const url = endpoint(target.url, '/api/v2/write');
  url.searchParams.set('org', target.org);
  url.searchParams.set('bucket', target.bucket);
  url.searchParams.set('precision', 'ns');
  return { url, authorization: `Token ${target.token}` };
}

export interface WriteResponse {
  status: number;
  /** InfluxDB's error message (`{"code","message"}` body), or the raw body start. */
  message: string;
  /** `Retry-After` in ms (seconds or an HTTP date), when the server sent one. */
  retryAfterMs: number | undefined;
}

/**
 * `path` (`/api/v2/write`) under the target URL, keeping a path prefix: InfluxDB behind a reverse proxy is often
 * served from a sub-path (`https://host/influxdb`), which `new URL('/api/v2/write', base)` would throw away.
 */
export function endpoint(base: string, path: string): URL {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${path}`;
  u.search = '';
  u.hash = '';
  return u;
}

export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * POST /api/v2/write (or 1.x's /write) with our own node:http request rather than @influxdata/influxdb-client: we need the exact
 * status of every request (the client folds 400/422 into "the batch failed", retries only ≥ 429, reads
 * Retry-After as milliseconds and drops data after maxRetries/maxRetryTime or on close: docs/INFLUXDB.md).
 * gzip always; keep-alive through the caller's Agent. Network errors throw.
 */
export class InfluxSender {
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;

  constructor(
    private readonly opts: {
      localAddress?: string | undefined;
      timeoutMs?: number;
      gzipLevel?: number;
      /** CPUs this process may run on (default: os.availableParallelism, which honours affinity). */
      cpus?: () => number;
    } = {},
  ) {
    this.#http = new HttpAgent({ keepAlive: true, maxSockets: 2 });
    this.#https = new HttpsAgent({ keepAlive: true, maxSockets: 2 });
  }

  /**
   * The gzipped request body. `lines` is the body as InfluxDB takes it: line-protocol lines, each ending in `\n`
   * (the spool hands them out so, see RecordBatch). With a second CPU the deflate runs on libuv's thread pool,
   * beside the main thread; with only one CPU for this process (affinity or cgroup), inline: the thread could
   * only take turns with the main thread, and the hand-over costs CPU (seen in the one-core ingest bench) while
   * the deflate itself blocks the loop ≈ 3 ms per MiB of lines.
   * `chunkSize` holds a whole compressed batch, so the thread pool is asked once, not once per 16 KiB.
   */
  encode(lines: Buffer): Promise<Buffer> {
    const level = this.opts.gzipLevel ?? GZIP_LEVEL;
    if ((this.opts.cpus ?? availableParallelism)() <= 1) {
      try {
        return Promise.resolve(gzipSync(lines, { level }));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return gzip(lines, { level, chunkSize: 256 * 1024 });
  }

  /**
   * Is InfluxDB's HTTP server answering? `GET /ping` (no auth; 204 from InfluxDB 2.x, 200/204 from 1.x and
   * Cloud): cheap enough to ask every second while writes back off. Any other answer or a network error is "no".
   */
  async ping(target: InfluxTarget, timeoutMs = 2000): Promise<boolean> {
    const u = endpoint(target.url, '/ping');
    const https = u.protocol === 'https:';
    return new Promise((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(
        u,
        {
          method: 'GET',
          agent: https ? this.#https : this.#http,
          localAddress: this.opts.localAddress,
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 204 || res.statusCode === 200));
          res.on('error', () => resolve(false));
        },
      );
      req.on('timeout', () => req.destroy(new Error('ping timed out')));
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** POST /api/v2/write (or a 1.x `/write`) with a body from `encode`. */
  async post(target: InfluxTarget, body: Buffer): Promise<WriteResponse> {
    const { url: u, authorization } = writeRequest(target);
    const https = u.protocol === 'https:';
    const timeoutMs = this.opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        u,
        {
          method: 'POST',
          agent: https ? this.#https : this.#http,
          localAddress: this.opts.localAddress,
          timeout: timeoutMs,
          headers: {
            ...(authorization !== undefined ? { Authorization: authorization } : {}),
            'Content-Type': 'text/plain; charset=utf-8',
            'Content-Encoding': 'gzip',
            'Content-Length': String(body.length),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= 64 * 1024) chunks.push(c);
          });
          res.on('end', () => {
            const message = influxErrorMessage(Buffer.concat(chunks), 2000);
            const ra = res.headers['retry-after'];
            resolve({
              status: res.statusCode ?? 0,
              message,
              retryAfterMs: parseRetryAfter(Array.isArray(ra) ? ra[0] : ra),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`InfluxDB did not answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
