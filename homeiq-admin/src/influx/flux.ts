import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import {
  type FluxCsvOptions,
  FluxQueryError,
  type FluxRow,
  HttpError,
  type HttpResponse,
  httpRequestRaw,
  type Logger,
  type LogSecrets,
  parseFluxCsv,
} from '@homeiq/shared';
import type { SiblingLocator } from '../siblings/locator.js';
import { SiblingUnavailable } from '../siblings/locator.js';
import type { ManagerClient, TokenGrant } from '../siblings/clients.js';

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

type Stored = TokenGrant;

export interface InfluxReaderOptions {
  manager: ManagerClient;
  locator: SiblingLocator;
  /** `<data dir>/influxdb-token.json`, mode 0600. */
  tokenFile: string;
  localAddress: string | undefined;
  /** The token is registered here, so it never reaches a log line. */
  secrets: LogSecrets;
  log: Logger;
}

/**
 * Reads InfluxDB with the admin's read token (docs/CONVENTIONS.md "Token hand-over"): kept in the data dir
 * (0600), asked for again when missing or when InfluxDB answers 401 (a reinstalled influxdb add-on, a rotated
 * token). Queries go straight to influxd on the sibling's address, bound to our own address.
 */
export class InfluxReader {
  #grant: Stored | undefined;
  #asking: Promise<Stored> | undefined;

  constructor(private readonly opts: InfluxReaderOptions) {}

  /** The token's facts (org, buckets, version), asking for a token when there is none yet. */
  grant(): Promise<TokenGrant> {
    return this.#get();
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
    try {
      return await this.#query(await this.#get(), flux, params, read);
    } catch (err) {
      if (!(err instanceof TokenRejected)) throw err;
      this.opts.log.warn('InfluxDB rejected our read token; asking the HomeIQ InfluxDB add-on for a new one');
      this.#grant = undefined;
      await rm(this.opts.tokenFile, { force: true });
      return this.#query(await this.#get(), flux, params, read);
    }
  }

  async #query(
    g: Stored,
    flux: string,
    params: Record<string, FluxParam>,
    read: FluxCsvOptions & { timeoutMs?: number },
  ): Promise<FluxRow[]> {
    const timeoutMs = read.timeoutMs ?? 15_000;
    const ip = await this.opts.locator.address('homeiq-influxdb');
    let res: HttpResponse;
    try {
      res = await httpRequestRaw(`http://${ip}:${g.port}/api/v2/query?orgID=${encodeURIComponent(g.orgId)}`, {
        method: 'POST',
        headers: { Authorization: `Token ${g.token}`, 'Content-Type': 'application/json', Accept: 'application/csv' },
        body: JSON.stringify({
          query: flux,
          extern: externParams(params),
          type: 'flux',
          dialect: { header: true, annotations: [] },
        }),
        localAddress: this.opts.localAddress,
        timeoutMs,
        maxBodyBytes: 32 * 1024 * 1024,
      });
    } catch (err) {
      this.opts.locator.forget('homeiq-influxdb');
      throw new SiblingUnavailable(
        'homeiq-influxdb',
        `InfluxDB did not answer (${(err as Error).message})`,
        'unreachable',
      );
    }
    const text = res.body.toString('utf8');
    if (res.status === 401) throw new TokenRejected();
    if (res.status !== 200) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // Not JSON: the text itself is the message.
      }
      throw new HttpError(502, `InfluxDB could not answer the query (${res.status}: ${message})`);
    }
    try {
      return parseFluxCsv(text, read);
    } catch (err) {
      if (err instanceof FluxQueryError)
        throw new HttpError(502, `InfluxDB could not answer the query (${err.message})`);
      throw err;
    }
  }

  #get(): Promise<Stored> {
    if (this.#grant) return Promise.resolve(this.#grant);
    // One hand-over at a time: each POST /api/tokens revokes the token issued before it.
    this.#asking ??= this.#loadOrAsk().finally(() => {
      this.#asking = undefined;
    });
    return this.#asking;
  }

  async #loadOrAsk(): Promise<Stored> {
    try {
      const t = JSON.parse(await readFile(this.opts.tokenFile, 'utf8')) as Stored;
      if (typeof t.token === 'string' && typeof t.port === 'number' && typeof t.orgId === 'string') {
        this.opts.secrets.add(t.token);
        this.#grant = t;
        return t;
      }
    } catch {
      // Missing or unreadable: ask for a new one.
    }
    const g = await this.opts.manager.token();
    this.opts.secrets.add(g.token);
    const stored: Stored = {
      token: g.token,
      org: g.org,
      orgId: g.orgId,
      bucket: g.bucket,
      buckets: g.buckets,
      port: g.port,
      influxdbVersion: g.influxdbVersion,
    };
    await writeFile(this.opts.tokenFile, JSON.stringify(stored), { mode: 0o600 });
    await chmod(this.opts.tokenFile, 0o600);
    this.opts.log.info(
      `received a read token for the buckets ${[g.buckets.raw, ...g.buckets.downsampled].join(', ')} from the HomeIQ InfluxDB add-on`,
    );
    this.#grant = stored;
    return stored;
  }
}

class TokenRejected extends Error {}
