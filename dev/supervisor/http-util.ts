/**
 * Response helpers that reproduce the two error styles an add-on meets at the Supervisor:
 * JSON envelopes from API handlers, and aiohttp's plain-text `<code>: <reason>` from middleware and routing.
 * @module
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** `api_return_ok`: `{"result":"ok","data":…}` (data defaults to `{}` like the Supervisor). */
export function sendOk(res: ServerResponse, data: unknown = {}): void {
  sendJson(res, 200, { result: 'ok', data });
}

/** `api_return_error`: `{"result":"error","message":…}`. */
export function sendApiError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { result: 'error', message });
}

/** aiohttp's default body for an `HTTPException` raised without text, e.g. `403: Forbidden`. */
export function plainStatusText(status: number): string {
  return `${status}: ${STATUS_CODES[status] ?? 'Unknown'}`;
}

/** An aiohttp-style plain error (middleware 401/403, routing 404/405, proxy 502/503). */
export function sendPlainStatus(res: ServerResponse, status: number): void {
  const text = plainStatusText(status);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers a WebSocket upgrade request with a plain HTTP error instead of switching protocols. */
export function rejectUpgrade(socket: Duplex, status: number): void {
  const text = plainStatusText(status);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
}

/** Thrown by {@link readBody} when the body exceeds its limit. */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** Reads a request body into memory, refusing more than `limit` bytes (the Supervisor's 16 MiB). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** First value of a header that Node may have folded into an array. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
