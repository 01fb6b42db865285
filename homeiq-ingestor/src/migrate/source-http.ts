import { HttpRequestError, httpRequestRaw, parseJson, type HttpResponse } from '@homeiq/shared';
import { SourceError } from './source-types.js';

/**
 * Requests to the old InfluxDB, with network failures turned into one sentence a user can act on. Bodies are
 * bounded: a window's answer larger than `maxBodyBytes` is a `too_big` SourceError (the caller asks for less).
 */

export interface SourceRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  maxBodyBytes?: number;
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused: nothing listens on that address and port',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'no route to that host',
  ENETUNREACH: 'the network is unreachable',
  ENOTFOUND: 'no such host name',
  EAI_AGAIN: 'the host name could not be resolved right now',
  ETIMEDOUT: 'the connection timed out',
  EPIPE: 'the connection was closed',
};

/** `url` without credentials or query, for messages. */
export function origin(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

export async function sourceRequest(base: string, path: string, req: SourceRequest = {}): Promise<HttpResponse> {
  const u = new URL(base);
  const q = path.indexOf('?');
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${q < 0 ? path : path.slice(0, q)}`;
  u.search = q < 0 ? '' : path.slice(q);
  const where = origin(base);
  try {
    return await httpRequestRaw(u.toString(), {
      method: req.method ?? 'GET',
      headers: req.headers ?? {},
      ...(req.body !== undefined ? { body: req.body } : {}),
      timeoutMs: req.timeoutMs ?? 30_000,
      maxBodyBytes: req.maxBodyBytes ?? 4 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof HttpRequestError && /larger than/.test(e.message))
      throw new SourceError(
        'too_big',
        `the source's answer was larger than ${req.maxBodyBytes ?? 4 * 1024 * 1024} bytes`,
      );
    if (err instanceof HttpRequestError) throw new SourceError('unreachable', `${where} did not answer in time`);
    const known = e.code ? NETWORK[e.code] : undefined;
    if (known) throw new SourceError('unreachable', `cannot reach ${where}: ${known}`);
    if (e.code?.startsWith('ERR_TLS') || e.code?.includes('CERT'))
      throw new SourceError('unreachable', `cannot reach ${where}: TLS failed (${e.message})`);
    throw new SourceError('unreachable', `cannot reach ${where}: ${e.message}`);
  }
}

/** The error text of an InfluxDB JSON answer (`{"error": …}` in 1.x, `{"message": …}` in 2.x), or the body's start. */
export function answerMessage(res: HttpResponse): string {
  const textBody = res.body.toString('utf8');
  try {
    const j = parseJson(textBody) as { error?: unknown; message?: unknown };
    if (typeof j.error === 'string') return j.error;
    if (typeof j.message === 'string') return j.message;
  } catch {
    // not JSON
  }
  return textBody.slice(0, 300).trim() || `status ${res.status}`;
}
