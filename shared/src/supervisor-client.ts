import { z } from 'zod';
import { httpRequestRaw } from './http-request.js';
import { parseJson } from './json-text.js';

/** The fields of `/addons/<slug>/info` we use (the Supervisor sends many more). */
export interface AddonInfo {
  name: string;
  slug: string;
  hostname: string;
  version: string;
  state: string;
  ip_address: string;
  repository: string;
  ingress: boolean;
  ingress_entry: string | null;
  ingress_port: number | null;
  /** Container port (e.g. `8086/tcp`) → host port, or null when the user left it unpublished. */
  network?: Record<string, number | null> | null;
}

/** The fields of `/info` we use. */
export interface SupervisorInfo {
  supervisor: string;
  homeassistant: string | null;
  hostname: string;
  arch: string;
  timezone: string;
}

/** `GET /services/mqtt`: the broker a provider add-on (Mosquitto) registered, with a user for add-ons. */
export interface MqttServiceInfo {
  host: string;
  port: number;
  ssl?: boolean;
  protocol?: string;
  username?: string;
  password?: string;
  /** The provider's slug, e.g. `core_mosquitto`. */
  addon?: string;
}

/** Checked when read: its strings go into MQTT's 16-bit length-prefixed fields, its port into a socket. */
const mqttServiceSchema = z.looseObject({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65_535),
  ssl: z.boolean().optional(),
  protocol: z.string().max(20).optional(),
  username: z.string().max(1024).optional(),
  password: z.string().max(1024).optional(),
  addon: z.string().max(100).optional(),
});

export class SupervisorError extends Error {
  override readonly name = 'SupervisorError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface SupervisorClientOptions {
  baseUrl: string;
  token: string;
  localAddress?: string | undefined;
  timeoutMs?: number;
}

/** Thin client for the Supervisor endpoints the add-ons use; unwraps the `{result, data}` envelope. */
export class SupervisorClient {
  constructor(private readonly opts: SupervisorClientOptions) {}

  selfInfo(): Promise<AddonInfo> {
    return this.get<AddonInfo>('/addons/self/info');
  }

  addonInfo(slug: string): Promise<AddonInfo> {
    return this.get<AddonInfo>(`/addons/${encodeURIComponent(slug)}/info`);
  }

  info(): Promise<SupervisorInfo> {
    return this.get<SupervisorInfo>('/info');
  }

  /** Our options as the Supervisor will hand them to the next start (defaults merged, schema-checked). */
  selfOptions(): Promise<Record<string, unknown>> {
    return this.get<Record<string, unknown>>('/addons/self/options/config');
  }

  /**
   * Changes some of our own options and writes them all back (the Supervisor validates them against
   * `config.yaml` `schema`), so a setting changed at run time survives the next start. Returns what was written.
   */
  async updateSelfOptions(changes: Record<string, unknown>): Promise<Record<string, unknown>> {
    const next = { ...(await this.selfOptions()), ...changes };
    await this.request('POST', '/addons/self/options', { options: next });
    return next;
  }

  /** The host port a container port (e.g. `8086/tcp`) of ours is published on, or null when it is not. */
  async publishedPort(containerPort: string): Promise<number | null> {
    const port = (await this.selfInfo()).network?.[containerPort];
    return typeof port === 'number' && port > 0 ? port : null;
  }

  /**
   * The MQTT broker the Supervisor offers (needs `services: [mqtt:want]` in config.yaml), or undefined when no
   * broker add-on registered one (the Supervisor answers 400 `Service not enabled` then).
   */
  async mqttService(): Promise<MqttServiceInfo | undefined> {
    let data: unknown;
    try {
      data = await this.get<unknown>('/services/mqtt');
    } catch (err) {
      if (err instanceof SupervisorError && err.status === 400) return undefined;
      throw err;
    }
    const parsed = mqttServiceSchema.safeParse(data);
    // The fields' names only: their values may be credentials.
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(the whole answer)'))];
      throw new Error(`GET /services/mqtt: unexpected ${fields.join(', ')}`);
    }
    return parsed.data;
  }

  /**
   * One call to Home Assistant's REST API through the Supervisor's Core proxy (`homeassistant_api: true`), e.g.
   * `coreRequest('POST', '/states/sensor.x', {...})`. Resolves with whatever HA (or the proxy: 502 while Core is
   * not running) answered; rejects only when the Supervisor cannot be reached.
   */
  async coreRequest(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    limits: { timeoutMs?: number; maxBodyBytes?: number } = {},
  ): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.opts.token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await httpRequestRaw(`${this.coreApiUrl()}${path}`, {
      method,
      headers,
      localAddress: this.opts.localAddress,
      timeoutMs: limits.timeoutMs ?? this.opts.timeoutMs ?? 10_000,
      maxBodyBytes: limits.maxBodyBytes ?? 1024 * 1024,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: res.body.toString('utf8') };
  }

  /** `ws://supervisor/core/websocket` in production: HA's WebSocket API behind the Supervisor's handshake. */
  coreWebSocketUrl(): string {
    return `${this.opts.baseUrl.replace(/^http/, 'ws')}/core/websocket`;
  }

  /** Base of HA's REST API through the Supervisor proxy, e.g. `${coreApiUrl()}/states`. */
  coreApiUrl(): string {
    return `${this.opts.baseUrl}/core/api`;
  }

  private get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.opts.token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await httpRequestRaw(`${this.opts.baseUrl}${path}`, {
      method,
      headers,
      localAddress: this.opts.localAddress,
      timeoutMs: this.opts.timeoutMs ?? 10_000,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    let envelope: { result?: string; data?: unknown; message?: string } | undefined;
    try {
      envelope = parseJson(res.body.toString('utf8')) as typeof envelope;
    } catch {
      envelope = undefined;
    }
    if (res.status !== 200 || envelope?.result !== 'ok') {
      const why = envelope?.message ?? res.body.toString('utf8').slice(0, 200);
      throw new SupervisorError(`Supervisor ${method} ${path} answered ${res.status}: ${why}`, res.status);
    }
    return envelope.data as T;
  }
}
