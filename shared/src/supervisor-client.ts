import { httpRequestRaw } from './http-request.js';

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
}

/** The fields of `/info` we use. */
export interface SupervisorInfo {
  supervisor: string;
  homeassistant: string | null;
  hostname: string;
  arch: string;
  timezone: string;
}

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

  /** `ws://supervisor/core/websocket` in production: HA's WebSocket API behind the Supervisor's handshake. */
  coreWebSocketUrl(): string {
    return `${this.opts.baseUrl.replace(/^http/, 'ws')}/core/websocket`;
  }

  /** Base of HA's REST API through the Supervisor proxy, e.g. `${coreApiUrl()}/states`. */
  coreApiUrl(): string {
    return `${this.opts.baseUrl}/core/api`;
  }

  private async get<T>(path: string): Promise<T> {
    const res = await httpRequestRaw(`${this.opts.baseUrl}${path}`, {
      headers: { Authorization: `Bearer ${this.opts.token}`, Accept: 'application/json' },
      localAddress: this.opts.localAddress,
      timeoutMs: this.opts.timeoutMs ?? 10_000,
    });
    let envelope: { result?: string; data?: unknown; message?: string } | undefined;
    try {
      envelope = JSON.parse(res.body.toString('utf8')) as typeof envelope;
    } catch {
      envelope = undefined;
    }
    if (res.status !== 200 || envelope?.result !== 'ok') {
      const why = envelope?.message ?? res.body.toString('utf8').slice(0, 200);
      throw new SupervisorError(`Supervisor ${path} answered ${res.status}: ${why}`, res.status);
    }
    return envelope.data as T;
  }
}
