import {
  type FluxCsvOptions,
  FluxQueryError,
  type FluxRow,
  HttpError,
  HttpRequestError,
  type HttpResponse,
  httpRequestRaw,
  influxErrorMessage,
  parseFluxCsv,
  SiblingToken,
  type TokenKeeping,
} from '@homeiq/shared';
import type { TokenGrant } from '@homeiq/shared/contracts';
import type { ManagerClient } from '../siblings/clients.js';
import type { SiblingLocator } from '../siblings/locator.js';
import { SiblingUnavailable } from '../siblings/locator.js';

/** Values a query may take as parameters. */
export type FluxParam = string | number | boolean;

/**
 * `option params = {…}` as a Flux AST for the query body's `extern`. InfluxDB Cloud takes a `params` object
 * for this, but OSS 2.x answers `undefined identifier params` to it; `extern` is how OSS receives variables
 * (its UI sends dashboard variables this way). Values become literal nodes of the syntax tree and are never
 * parsed as Flux, so an entity id cannot change a query, whatever characters it holds.
 */
export function externParams(params: Record<string, FluxParam>): unknown {
  const literal = (v: FluxParam): Record<string, unknown> => {
    if (typeof v === 'string') return { type: 'StringLiteral', value: v };
    if (typeof v === 'boolean') return { type: 'BooleanLiteral', value: v };
    if (Number.isInteger(v)) return { type: 'IntegerLiteral', value: String(v) };
    return { type: 'FloatLiteral', value: v };
  };
  return {
    type: 'File',
    package: null,
    imports: null,
    body: [
      {
        type: 'OptionStatement',
        assignment: {
          type: 'VariableAssignment',
          id: { type: 'Identifier', name: 'params' },
          init: {
            type: 'ObjectExpression',
            properties: Object.entries(params).map(([k, v]) => ({
              type: 'Property',
              key: { type: 'Identifier', name: k },
              value: literal(v),
            })),
          },
        },
      },
    ],
  };
}

export interface InfluxReaderOptions extends TokenKeeping {
  manager: ManagerClient;
  locator: SiblingLocator;
  localAddress: string | undefined;
}

/**
 * Reads InfluxDB with the admin's read token (docs/CONVENTIONS.md "Token hand-over"), kept by the shared
 * SiblingToken: in the data dir (0600), asked for again when missing or when InfluxDB answers 401 (a reinstalled
 * influxdb add-on, a rotated token). Queries go straight to influxd on the sibling's address, bound to our own.
 */
export class InfluxReader {
  readonly #token: SiblingToken;

  constructor(private readonly opts: InfluxReaderOptions) {
    this.#token = new SiblingToken({
      ...opts,
      ask: () => opts.manager.token(),
      received: (g) =>
        `received a read token for the buckets ${[g.buckets.raw, ...g.buckets.downsampled].join(', ')} from the HomeIQ InfluxDB add-on`,
    });
  }

  /** The token's facts (org, buckets, version), asking for a token when there is none yet. */
  grant(): Promise<TokenGrant> {
    return this.#token.get();
  }

  /**
   * Runs `flux` and reads the answer with the shared Flux CSV reader; `read.exact` names the columns the query
   * escaped with `fluxExact` (stored strings that must come back exactly). A Flux error raises a 502.
   */
  async query(
    flux: string,
    params: Record<string, FluxParam>,
    read: FluxCsvOptions & { timeoutMs?: number } = {},
  ): Promise<FluxRow[]> {
    const res = await this.post(
      '/api/v2/query',
      { query: flux, extern: externParams(params), type: 'flux', dialect: { header: true, annotations: [] } },
      { timeoutMs: read.timeoutMs ?? 15_000, maxBodyBytes: 32 * 1024 * 1024 },
    );
    const text = res.body.toString('utf8');
    if (res.status !== 200) {
      throw new HttpError(502, `InfluxDB could not answer the query (${res.status}: ${influxErrorMessage(text)})`);
    }
    try {
      return parseFluxCsv(text, read);
    } catch (err) {
      if (err instanceof FluxQueryError)
        throw new HttpError(502, `InfluxDB could not answer the query (${err.message})`);
      throw err;
    }
  }

  /**
   * A POST to influxd's API (`/api/v2/query`, `/api/v2/query/ast`, InfluxQL's `/query`, …) in our org with our
   * read token, asked for again once when InfluxDB refuses it. The body is sent as JSON, or form-encoded when
   * `opts.form` is set. Answers whatever InfluxDB answered except 401; a time-out is a 504.
   */
  async post(path: string, body: unknown, opts: PostOptions): Promise<HttpResponse> {
    const grant = await this.#token.get();
    try {
      return await this.#post(grant, path, body, opts);
    } catch (err) {
      if (!(err instanceof TokenRejected)) throw err;
      this.opts.log.warn('InfluxDB rejected our read token; asking the HomeIQ InfluxDB add-on for a new one');
      this.#token.rejected(grant.token);
      return this.#post(await this.#token.get(), path, body, opts);
    }
  }

  async #post(g: TokenGrant, path: string, body: unknown, opts: PostOptions): Promise<HttpResponse> {
    const ip = await this.opts.locator.address('homeiq-influxdb');
    const search = new URLSearchParams({ orgID: g.orgId, ...opts.search });
    let res: HttpResponse;
    try {
      res = await httpRequestRaw(`http://${ip}:${g.port}${path}?${search}`, {
        method: 'POST',
        headers: {
          Authorization: `Token ${g.token}`,
          'Content-Type': opts.form ? 'application/x-www-form-urlencoded' : 'application/json',
          Accept: opts.accept ?? 'application/csv',
        },
        body: opts.form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
        localAddress: this.opts.localAddress,
        timeoutMs: opts.timeoutMs,
        maxBodyBytes: opts.maxBodyBytes,
        onTooLarge: opts.truncate ? 'truncate' : 'error',
      });
    } catch (err) {
      // A slow query or a large answer is not a lost sibling: say what happened and keep its address.
      if (err instanceof HttpRequestError && err.reason === 'timeout')
        throw new HttpError(504, `InfluxDB did not answer within ${opts.timeoutMs / 1000} s`);
      if (err instanceof HttpRequestError && err.reason === 'too-large')
        throw new HttpError(
          502,
          `InfluxDB's answer passed ${opts.maxBodyBytes / 1024 / 1024} MB, more than is read at once; ask for less (fewer entities, a shorter range or a longer window)`,
        );
      this.opts.locator.forget('homeiq-influxdb');
      throw new SiblingUnavailable(
        'homeiq-influxdb',
        `InfluxDB did not answer (${(err as Error).message})`,
        'unreachable',
      );
    }
    if (res.status === 401) throw new TokenRejected();
    return res;
  }
}

class TokenRejected extends Error {}

interface PostOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  /** Query parameters besides `orgID`. */
  search?: Record<string, string>;
  /** Send `body` (string values) form-encoded, as InfluxQL's `/query` takes it. */
  form?: boolean;
  /** Default `application/csv`. */
  accept?: string;
  /** Cut an answer larger than `maxBodyBytes` there (and stop the query) instead of failing. */
  truncate?: boolean;
}
