import { HttpError, httpRequestRaw, parseJson, type AddonSlug, type HttpResponse } from '@homeiq/shared';
import { siblingTitle, SiblingUnavailable, type SiblingLocator } from './locator.js';

export interface SiblingHttpOptions {
  locator: SiblingLocator;
  /** Our own address: siblings recognise us by it, so every connection binds to it. */
  localAddress: string | undefined;
  timeoutMs?: number;
}

export interface SiblingRequest {
  method?: string;
  body?: unknown;
  timeoutMs?: number;
  /** Non-2xx statuses whose body is still the answer (a `/health` that is red answers 503). */
  accept?: number[];
}

/** The answer of a sibling that said no, passed on to the panel with its status (4xx) or as a 502. */
export class SiblingAnswer extends HttpError {}

/**
 * JSON requests to a sibling's internal API as the verified admin sibling (source address = ours).
 * Connection failures become SiblingUnavailable (the panel says which sibling and why); a sibling's own 4xx
 * keeps its status and message, anything else is a 502 naming the sibling.
 */
export class SiblingHttp {
  constructor(private readonly opts: SiblingHttpOptions) {}

  async json<T>(sibling: AddonSlug, port: number, path: string, req: SiblingRequest = {}): Promise<T> {
    const ip = await this.opts.locator.address(sibling);
    const title = siblingTitle(sibling);
    let res: HttpResponse;
    try {
      res = await httpRequestRaw(`http://${ip}:${port}${path}`, {
        method: req.method ?? 'GET',
        headers: {
          Accept: 'application/json',
          ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        localAddress: this.opts.localAddress,
        timeoutMs: req.timeoutMs ?? this.opts.timeoutMs ?? 5000,
      });
    } catch (err) {
      this.opts.locator.forget(sibling);
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ECONNREFUSED'
          ? 'nothing answers on its port; it may be starting or has stopped'
          : (err as Error).message;
      throw new SiblingUnavailable(sibling, `${title} did not answer (${why})`, 'unreachable');
    }
    const text = res.body.toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : parseJson(text);
    } catch {
      body = undefined;
    }
    if ((res.status >= 200 && res.status < 300) || req.accept?.includes(res.status)) return body as T;
    const message = (body as { error?: string } | undefined)?.error ?? (text.slice(0, 200) || `status ${res.status}`);
    if (res.status === 403)
      throw new SiblingUnavailable(sibling, `${title} refused HomeIQ Admin (${message})`, 'refused');
    if (res.status >= 400 && res.status < 500) throw new SiblingAnswer(res.status, `${title}: ${message}`);
    throw new SiblingAnswer(502, `${title} failed: ${message}`);
  }
}
