import {
  FluxQueryError,
  type FluxRow,
  httpRequestRaw,
  influxErrorMessage,
  parseFluxCsv,
  parseJson,
} from '@homeiq/shared';

/** One InfluxDB error answer, with the status and InfluxDB's own message. */
export class InfluxApiError extends Error {
  override readonly name = 'InfluxApiError';
  constructor(
    message: string,
    readonly status: number,
    /** InfluxDB's own words (its `message`), for answers that pass them on. */
    readonly reason: string = message,
  ) {
    super(message);
  }
}

export interface Bucket {
  id: string;
  orgID: string;
  name: string;
  type: 'user' | 'system';
  retentionRules: RetentionRule[];
}

export interface RetentionRule {
  type: string;
  everySeconds: number;
  shardGroupDurationSeconds?: number;
}

export interface Permission {
  action: 'read' | 'write';
  resource: { type: string; id?: string; orgID?: string };
}

export interface Authorization {
  id: string;
  description?: string;
  orgID: string;
  status: string;
  permissions: Permission[];
}

export interface Task {
  id: string;
  orgID: string;
  name: string;
  status: 'active' | 'inactive';
  flux: string;
  every?: string;
  latestCompleted?: string;
  lastRunStatus?: 'success' | 'failed' | 'canceled';
  lastRunError?: string;
}

export interface Run {
  id: string;
  status: 'scheduled' | 'started' | 'success' | 'failed' | 'canceled';
  scheduledFor?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface SetupRequest {
  username: string;
  password: string;
  org: string;
  bucket: string;
  retentionPeriodSeconds: number;
  /** The operator token, chosen by us so it is on disk before InfluxDB knows it. */
  token: string;
}

export interface InfluxApiOptions {
  baseUrl: string;
  /** The operator token; read on every call because it is only known after onboarding. */
  token: () => string | undefined;
  timeoutMs?: number;
}

/** The slice of the InfluxDB 2 HTTP API the manager uses, over plain HTTP. */
export class InfluxApi {
  constructor(private readonly opts: InfluxApiOptions) {}

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  async health(): Promise<{ status: string; version: string; message: string }> {
    return this.json('GET', '/health', undefined, { auth: false, okStatuses: [200, 503] });
  }

  async setupAllowed(): Promise<boolean> {
    const r = await this.json<{ allowed: boolean }>('GET', '/api/v2/setup', undefined, { auth: false });
    return r.allowed;
  }

  async setup(req: SetupRequest): Promise<{ orgId: string; bucketId: string }> {
    const r = await this.json<{ org: { id: string }; bucket: { id: string } }>('POST', '/api/v2/setup', req, {
      auth: false,
    });
    return { orgId: r.org.id, bucketId: r.bucket.id };
  }

  async org(id: string): Promise<{ id: string; name: string }> {
    return this.json('GET', `/api/v2/orgs/${id}`);
  }

  /** Every organization the token can see (the operator token: all of them). */
  async orgs(): Promise<{ id: string; name: string }[]> {
    const r = await this.json<{ orgs: { id: string; name: string }[] }>('GET', '/api/v2/orgs?limit=100');
    return r.orgs;
  }

  async renameOrg(id: string, name: string): Promise<void> {
    await this.json('PATCH', `/api/v2/orgs/${id}`, { name });
  }

  async buckets(orgId: string): Promise<Bucket[]> {
    const r = await this.json<{ buckets: Bucket[] }>('GET', `/api/v2/buckets?orgID=${orgId}&limit=100`);
    return r.buckets;
  }

  async createBucket(orgId: string, name: string, retentionSeconds: number): Promise<Bucket> {
    return this.json('POST', '/api/v2/buckets', {
      orgID: orgId,
      name,
      retentionRules: retentionRules(retentionSeconds),
    });
  }

  /** Deletes a bucket and its data (InfluxDB removes its stored DBRP mappings with it). */
  async deleteBucket(id: string): Promise<void> {
    await this.request('DELETE', `/api/v2/buckets/${id}`, undefined, { okStatuses: [204, 404] });
  }

  /**
   * Sets a retention together with a shard-group duration: InfluxDB refuses (422) a retention shorter than
   * the bucket's current shard-group duration unless that changes too, and keeps the old one otherwise.
   */
  async setBucketRetention(
    id: string,
    retentionSeconds: number,
    shardGroupSeconds = shardGroupDurationSeconds(retentionSeconds),
  ): Promise<Bucket> {
    return this.json('PATCH', `/api/v2/buckets/${id}`, {
      retentionRules: retentionRules(retentionSeconds, shardGroupSeconds),
    });
  }

  /** Creates a token; InfluxDB 2.9 stores tokens hashed, so this answer is the only time we see its value. */
  async createAuthorization(
    orgId: string,
    description: string,
    permissions: Permission[],
  ): Promise<{ id: string; token: string }> {
    return this.json('POST', '/api/v2/authorizations', { orgID: orgId, description, permissions });
  }

  async authorizations(orgId: string): Promise<Authorization[]> {
    const r = await this.json<{ authorizations: Authorization[] }>('GET', `/api/v2/authorizations?orgID=${orgId}`);
    return r.authorizations;
  }

  async deleteAuthorization(id: string): Promise<void> {
    await this.request('DELETE', `/api/v2/authorizations/${id}`, undefined, { okStatuses: [204, 404] });
  }

  async tasks(orgId: string): Promise<Task[]> {
    const r = await this.json<{ tasks: Task[] }>('GET', `/api/v2/tasks?orgID=${orgId}&limit=500`);
    return r.tasks;
  }

  async task(id: string): Promise<Task> {
    return this.json('GET', `/api/v2/tasks/${id}`);
  }

  async createTask(orgId: string, flux: string, description: string): Promise<Task> {
    return this.json('POST', '/api/v2/tasks', { orgID: orgId, flux, description, status: 'active' });
  }

  async updateTask(id: string, flux: string, description: string): Promise<Task> {
    return this.json('PATCH', `/api/v2/tasks/${id}`, { flux, description, status: 'active' });
  }

  /** Queues a manual run scheduled for now. */
  async runTask(id: string): Promise<Run> {
    return this.json('POST', `/api/v2/tasks/${id}/runs`, {});
  }

  async run(taskId: string, runId: string): Promise<Run> {
    return this.json('GET', `/api/v2/tasks/${taskId}/runs/${runId}`);
  }

  /** A Flux query's rows, read by the shared Flux CSV reader; an error table (a mid-stream failure) throws. */
  async query(orgId: string, flux: string): Promise<FluxRow[]> {
    const res = await this.request('POST', `/api/v2/query?orgID=${orgId}`, { query: flux, type: 'flux' });
    try {
      return parseFluxCsv(res.toString('utf8'));
    } catch (err) {
      if (err instanceof FluxQueryError) throw new InfluxApiError(`Flux query failed: ${err.message}`, 500);
      throw err;
    }
  }

  /** One call answered with JSON (also used by compat-api.ts for the InfluxDB 1.x compatibility routes). */
  async json<T>(
    method: string,
    path: string,
    body?: unknown,
    o: { auth?: boolean; okStatuses?: number[] } = {},
  ): Promise<T> {
    const text = (await this.request(method, path, body, o)).toString('utf8');
    // 204 No Content (a DELETE, a password set) has no body.
    return (text === '' ? undefined : parseJson(text)) as T;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    o: { auth?: boolean; okStatuses?: number[] } = {},
  ): Promise<Buffer> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = this.opts.token();
    if (o.auth !== false && token) headers['Authorization'] = `Token ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await httpRequestRaw(`${this.opts.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      timeoutMs: this.opts.timeoutMs ?? 30_000,
    });
    const ok = o.okStatuses ?? [200, 201, 204];
    if (!ok.includes(res.status)) {
      const message = influxErrorMessage(res.body);
      throw new InfluxApiError(
        `InfluxDB ${method} ${path.split('?')[0]} answered ${res.status}: ${message}`,
        res.status,
        message,
      );
    }
    return res.body;
  }
}

/** One `expire` rule; `everySeconds: 0` means forever (an empty list would leave a PATCH without effect). */
function retentionRules(seconds: number, shardGroupSeconds = shardGroupDurationSeconds(seconds)): RetentionRule[] {
  return [{ type: 'expire', everySeconds: seconds, shardGroupDurationSeconds: shardGroupSeconds }];
}

const HOUR = 3_600;
const DAY = 86_400;

/**
 * The shard-group duration InfluxDB itself picks for a new bucket with this retention (its
 * `shardGroupDuration` rule, documented under "Shards and shard groups"): 1 h below 2 days, 1 day below
 * 180 days, 7 days from 180 days on and for forever (0). Always shorter than the retention, as it must be.
 */
export function shardGroupDurationSeconds(retentionSeconds: number): number {
  if (retentionSeconds === 0 || retentionSeconds >= 180 * DAY) return 7 * DAY;
  if (retentionSeconds >= 2 * DAY) return DAY;
  return HOUR;
}

/** The shard-group duration of a bucket in seconds (InfluxDB's default for its retention if not reported). */
export function bucketShardGroupSeconds(b: Bucket): number {
  const rule = b.retentionRules.find((r) => r.type === 'expire');
  return rule?.shardGroupDurationSeconds || shardGroupDurationSeconds(rule?.everySeconds ?? 0);
}

/** The retention of a bucket in seconds (0 = forever). */
export function bucketRetentionSeconds(b: Bucket): number {
  return b.retentionRules.find((r) => r.type === 'expire')?.everySeconds ?? 0;
}
