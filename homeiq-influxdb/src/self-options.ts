import { httpRequestRaw, SupervisorError } from '@homeiq/shared';

export interface SelfOptionsClientOptions {
  baseUrl: string;
  token: string;
  localAddress?: string | undefined;
  timeoutMs?: number;
}

/**
 * Our own add-on options and network, through the Supervisor paths any add-on token may use
 * (`/addons/self/options/config`, `/addons/self/options`, `/addons/self/info`): a retention changed in the
 * panel is written back to the options, so the next start applies the same value instead of the old one.
 */
export class SelfOptionsClient {
  constructor(private readonly opts: SelfOptionsClientOptions) {}

  /** The options as the Supervisor will hand them to the next start (defaults merged, checked against the schema). */
  async read(): Promise<Record<string, unknown>> {
    return this.#call<Record<string, unknown>>('GET', '/addons/self/options/config');
  }

  /** Replaces the options (the Supervisor validates them against `config.yaml` `schema`). */
  async write(options: Record<string, unknown>): Promise<void> {
    await this.#call('POST', '/addons/self/options', { options });
  }

  /** Reads the current options, changes `changes` and writes them all back; returns what was written. */
  async update(changes: Record<string, unknown>): Promise<Record<string, unknown>> {
    const next = { ...(await this.read()), ...changes };
    await this.write(next);
    return next;
  }

  /** The host port `container` (e.g. `8086/tcp`) is published on, or null when it is not. */
  async publishedPort(container: string): Promise<number | null> {
    const info = await this.#call<{ network?: Record<string, number | null> | null }>('GET', '/addons/self/info');
    const port = info.network?.[container];
    return typeof port === 'number' && port > 0 ? port : null;
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
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
      envelope = JSON.parse(res.body.toString('utf8')) as typeof envelope;
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
