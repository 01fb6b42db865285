// The REST API subset (homeassistant/components/api/__init__.py) behind the
// same bearer token as the WebSocket API.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimCore } from './core';
import { CommandError, isDict } from './schema';
import { validEntityId } from './states';

const MAX_BODY = 1 << 20;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString();
  if (!text.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isDict(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function handleRest(
  core: SimCore,
  token: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // A hung core answers nothing until it recovers, REST included.
  await core.whenResponsive();
  const url = new URL(req.url ?? '/', 'http://sim');
  const path = url.pathname;
  if (!path.startsWith('/api/')) return send(res, 404, '404: Not Found');
  if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, '401: Unauthorized');
  const method = req.method ?? 'GET';

  if (method === 'GET' && path === '/api/') return send(res, 200, { message: 'API running.' });
  if (method === 'GET' && path === '/api/config') return send(res, 200, core.config());
  // The Supervisor probes this before proxying to Core (its check_api_state) and refuses unless RUNNING.
  if (method === 'GET' && path === '/api/core/state') return send(res, 200, { state: core.coreState });
  if (method === 'GET' && path === '/api/states') return send(res, 200, core.states.all());
  if (method === 'GET' && path === '/api/services') {
    return send(
      res,
      200,
      Object.entries(core.services.describe()).map(([domain, services]) => ({ domain, services })),
    );
  }

  const stateMatch = /^\/api\/states\/([^/]+)$/.exec(path);
  if (stateMatch) {
    const entityId = decodeURIComponent(stateMatch[1] ?? '');
    if (method === 'GET') {
      const state = core.states.get(entityId);
      return state ? send(res, 200, state) : send(res, 404, { message: 'Entity not found.' });
    }
    if (method === 'POST') {
      if (!validEntityId(entityId)) return send(res, 400, { message: 'Invalid entity ID specified.' });
      const body = await readJson(req);
      if (!body) return send(res, 400, { message: 'Invalid JSON specified.' });
      if (typeof body['state'] !== 'string') return send(res, 400, { message: 'No state specified.' });
      const existed = core.states.get(entityId) !== undefined;
      const record = core.states.set(entityId, body['state'], isDict(body['attributes']) ? body['attributes'] : {}, {
        forceUpdate: body['force_update'] === true,
        context: core.userContext(),
      });
      res.setHeader('Location', `/api/states/${entityId}`);
      return send(res, existed ? 200 : 201, record);
    }
  }

  const serviceMatch = /^\/api\/services\/([^/]+)\/([^/]+)$/.exec(path);
  if (serviceMatch && method === 'POST') {
    const body = await readJson(req);
    if (!body) return send(res, 400, { message: 'Data should be valid JSON.' });
    const [, domain = '', service = ''] = serviceMatch;
    try {
      const changed = core.services.call({ domain, service, serviceData: body, context: core.userContext() });
      if (url.searchParams.has('return_response'))
        return send(res, 200, { changed_states: changed, service_response: null });
      return send(res, 200, changed);
    } catch (err) {
      if (err instanceof CommandError) return send(res, 400, '400: Bad Request');
      throw err;
    }
  }

  const eventMatch = /^\/api\/events\/([^/]+)$/.exec(path);
  if (eventMatch && method === 'POST') {
    const body = await readJson(req);
    if (!body) return send(res, 400, { message: 'Event data should be valid JSON.' });
    const eventType = decodeURIComponent(eventMatch[1] ?? '');
    core.fire(eventType, body, core.userContext());
    return send(res, 200, { message: `Event ${eventType} fired.` });
  }

  return send(res, method === 'GET' ? 404 : 405, method === 'GET' ? '404: Not Found' : '405: Method Not Allowed');
}
