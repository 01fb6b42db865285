/**
 * The Supervisor's service registry (`supervisor/api/services.py`, `services/modules/{mqtt,mysql}.py`): an add-on
 * that provides a broker or a database (the Mosquitto add-on, MariaDB) writes its connection data with
 * `POST /services/<name>`; add-ons that declared `services: ["<name>:want"|"<name>:need"]` read it with `GET`.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, sendApiError, sendOk, sendPlainStatus } from './http-util.js';
import type { Addon } from './registry.js';

type Role = 'provide' | 'want' | 'need';

/** Fields each service accepts (`SCHEMA_SERVICE_MQTT`, `SCHEMA_SERVICE_MYSQL`), with the Supervisor's defaults. */
const SERVICES = {
  mqtt: { display: 'MQTT', required: ['host', 'port'], optional: ['username', 'password', 'ssl', 'protocol'] },
  mysql: { display: 'MySQL', required: ['host', 'port'], optional: ['username', 'password'] },
} as const;
type ServiceName = keyof typeof SERVICES;

/** What providers wrote, per service; empty = not enabled. Lives in the emulator instance. */
export class ServiceRegistry {
  readonly #data = new Map<ServiceName, Record<string, unknown>>();

  list(providers: (name: ServiceName) => string[]): Array<{ slug: string; available: boolean; providers: string[] }> {
    return (Object.keys(SERVICES) as ServiceName[]).map((slug) => ({
      slug,
      available: this.#data.has(slug),
      providers: providers(slug),
    }));
  }

  get(name: ServiceName): Record<string, unknown> | undefined {
    return this.#data.get(name);
  }

  set(name: ServiceName, data: Record<string, unknown>): void {
    this.#data.set(name, data);
  }

  delete(name: ServiceName): void {
    this.#data.delete(name);
  }
}

/** `services_role`: `{"mqtt": "want"}` from the config's `services: ["mqtt:want"]`. */
export function servicesRole(addon: Addon): Map<string, Role> {
  const roles = new Map<string, Role>();
  for (const entry of addon.config.services) {
    const m = /^(mqtt|mysql):(provide|want|need)$/.exec(entry);
    if (m) roles.set(m[1] as string, m[2] as Role);
  }
  return roles;
}

function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(SERVICES, name);
}

/** Validates a provider's body like the service schema: required host/port, known optional keys, defaults. */
function validate(name: ServiceName, body: unknown): Record<string, unknown> | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Invalid JSON body';
  const b = body as Record<string, unknown>;
  const spec = SERVICES[name];
  for (const key of spec.required) if (!(key in b)) return `required key not provided @ data['${key}']`;
  const known = new Set<string>([...spec.required, ...spec.optional]);
  for (const key of Object.keys(b)) if (!known.has(key)) return `extra keys not allowed @ data['${key}']`;
  if (typeof b['host'] !== 'string') return "expected str for dictionary value @ data['host']";
  const port = b['port'];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    return "expected int for dictionary value @ data['port']";
  const out: Record<string, unknown> = { ...b };
  if (name === 'mqtt') {
    out['ssl'] = b['ssl'] ?? false;
    out['protocol'] = b['protocol'] ?? '3.1.1';
    if (out['protocol'] !== '3.1' && out['protocol'] !== '3.1.1')
      return "value must be one of ['3.1', '3.1.1'] for dictionary value @ data['protocol']";
  }
  return out;
}

/**
 * `/services` and `/services/<name>` for an identified add-on (the security middleware lets any add-on token
 * through to these paths; the access check is here, as in the Supervisor's `_check_access`).
 */
export async function handleServices(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  caller: Addon,
  registry: ServiceRegistry,
  providers: (name: string) => string[],
  maxBodyBytes: number,
): Promise<void> {
  const method = req.method ?? 'GET';
  if (path === '/services') {
    if (method !== 'GET') return sendPlainStatus(res, 405);
    return sendOk(res, { services: registry.list(providers) });
  }
  const m = /^\/services\/([^/]+)$/.exec(path);
  if (!m) return sendPlainStatus(res, 404);
  if (method !== 'GET' && method !== 'POST' && method !== 'DELETE') return sendPlainStatus(res, 405);
  const name = m[1] as string;
  if (!isServiceName(name)) return sendApiError(res, 404, 'Service does not exist');
  const role = servicesRole(caller).get(name);
  if (!role) return sendApiError(res, 403, `No access to ${name} service!`);
  if (method === 'GET') {
    const data = registry.get(name);
    if (!data) return sendApiError(res, 400, 'Service not enabled');
    return sendOk(res, data);
  }
  if (role !== 'provide') return sendApiError(res, 403, `No access to write ${name} service!`);
  if (method === 'DELETE') {
    if (!registry.get(name)) return sendApiError(res, 400, "Can't remove not exists services");
    registry.delete(name);
    return sendOk(res);
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return sendPlainStatus(res, 413);
    throw err;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return sendApiError(res, 400, 'Invalid JSON body');
  }
  const data = validate(name, body);
  if (typeof data === 'string') return sendApiError(res, 400, data);
  const current = registry.get(name);
  if (current)
    return sendApiError(
      res,
      400,
      `There is already a ${SERVICES[name].display} service in use from ${String(current['addon'])}`,
    );
  registry.set(name, { ...data, addon: caller.slug });
  return sendOk(res);
}
