// Authenticated REST calls to a Home Assistant (the test peer's or any other).

/** Where a Home Assistant answers and how to authenticate; what {@link haRest} and the driver need. */
export interface HaEndpoint {
  /** Base HTTP URL without trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Bearer token (a long-lived access token of an admin user). */
  token: string;
}

/**
 * Authenticated call to HA's REST API.
 *
 * @param path e.g. `/api/states` or `/api/services/input_boolean/toggle`
 * @param body sent as JSON when given
 * @returns the parsed JSON answer (or the text when it is not JSON)
 * @throws Error with method, path, status and body on a non-2xx answer
 */
export async function haRest<T = unknown>(ha: HaEndpoint, method: string, path: string, body?: unknown): Promise<T> {
  return (await request(
    `${ha.url}${path}`,
    method,
    ha.token,
    body === undefined ? undefined : JSON.stringify(body),
    'application/json',
  )) as T;
}

/** One authenticated HTTP call; JSON or text answer; a non-2xx answer throws {@link HaHttpError}. */
export async function request(
  url: string,
  method: string,
  token: string | undefined,
  body: string | undefined,
  contentType: string,
  timeoutMs = 15_000,
): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = contentType;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // fetch() hides the reason (ECONNREFUSED, timeout, ...) in `cause`.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const reason = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    throw new Error(`${method} ${new URL(url).pathname}: ${reason}`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) throw new HaHttpError(method, url, res.status, text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A non-2xx answer from Home Assistant's HTTP API. */
export class HaHttpError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, url: string, status: number, body: string) {
    super(`${method} ${new URL(url).pathname} -> HTTP ${status}: ${body.slice(0, 300)}`);
    this.name = 'HaHttpError';
    this.status = status;
    this.body = body;
  }
}
