import { parseJson } from '@homeiq/shared/json-text';
import type { ApiError } from '../src/api-types.js';

/** What the server rendered into the page for us. */
export interface Boot {
  csrf: string | null;
  user: { id: string; name: string; displayName: string } | null;
}

export const boot: Boot = JSON.parse(document.getElementById('boot')?.textContent ?? '{}') as Boot;

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * Calls the panel's API with a URL relative to `<base href>` (the ingress prefix). Changing calls carry the
 * CSRF token; errors become ApiFailure with the server's message.
 */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-HomeIQ-CSRF'] = boot.csrf ?? '';
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiFailure(0, 'cannot reach HomeIQ Admin (is the add-on running?)');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? parseJson(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const e = body as ApiError | undefined;
    throw new ApiFailure(res.status, e?.error ?? `${res.status} ${res.statusText || text.slice(0, 120)}`, e?.details);
  }
  return body as T;
}
