import type Koa from 'koa';
import type * as z from 'zod';
import { HttpError } from './http-server.js';
import { parseJson } from './json-text.js';

/** Request bodies our APIs accept are small JSON documents; anything bigger is refused before it is buffered. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/** Reads a JSON request body: 415 unless JSON, 413 past the limit, 400 if unparsable; an empty body is `{}`. */
export async function readJsonBody(ctx: Koa.Context, maxBytes = MAX_JSON_BODY_BYTES): Promise<unknown> {
  if (!ctx.is('application/json')) throw new HttpError(415, 'send JSON (Content-Type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes) throw new HttpError(413, `request body larger than ${maxBytes} bytes`);
    chunks.push(c);
  }
  try {
    return parseJson(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

/** Validates request input (body, query or params); a 400 lists each problem as `path: message`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new HttpError(
      400,
      'invalid request',
      r.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`),
    );
  return r.data;
}
