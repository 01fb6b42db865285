import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { writeFileAtomic } from './atomic-file.js';
import type { TokenGrant } from './contracts/token-grant.js';
import { parseJson } from './json-text.js';
import type { Logger, LogSecrets } from './logger.js';

/** A grant as `POST /api/tokens` answers it and as it is kept on disk: checked by shape before use. */
const grantSchema = z.object({
  sibling: z.enum(['homeiq-ingestor', 'homeiq-admin']),
  token: z.string().min(1),
  org: z.string(),
  orgId: z.string(),
  bucket: z.string(),
  buckets: z.object({ raw: z.string(), downsampled: z.array(z.string()) }),
  port: z.number().int().min(1).max(65_535),
  influxdbVersion: z.string(),
}) satisfies z.ZodType<TokenGrant>;

/** The answer of homeiq-influxdb's manager API did not have the shape of a grant. */
export class TokenGrantError extends Error {}

/** Checks an answer of `POST /api/tokens` by shape. */
export function readTokenGrant(answer: unknown): TokenGrant {
  const r = grantSchema.safeParse(answer);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TokenGrantError(
      `the HomeIQ InfluxDB add-on answered a token the add-on cannot read (${issue?.path.join('.') || 'answer'}: ${issue?.message ?? 'invalid'})`,
    );
  }
  return r.data;
}

/** Where an add-on keeps its sibling token: what its InfluxDB client passes on to SiblingToken. */
export interface TokenKeeping {
  /** `<data dir>/influxdb-token.json`, written atomically with mode 0600. */
  tokenFile: string;
  /** Every token is registered here as soon as it is read, so it never reaches a log line. */
  secrets: LogSecrets;
  log: Logger;
}

export interface SiblingTokenOptions extends TokenKeeping {
  /** Asks homeiq-influxdb for a new grant (`POST /api/tokens`); the answer is checked here. */
  ask: () => Promise<unknown>;
  /** The log line for a new grant, e.g. which buckets it is for. */
  received: (grant: TokenGrant) => string;
}

/**
 * The token a sibling got from homeiq-influxdb (docs/CONVENTIONS.md "Token hand-over"): read from the data dir,
 * asked for when missing, unreadable or rejected by InfluxDB. One hand-over at a time, because each
 * `POST /api/tokens` revokes the token issued before it.
 */
export class SiblingToken {
  #grant: TokenGrant | undefined;
  #asking: Promise<TokenGrant> | undefined;
  /** The token InfluxDB rejected: never used again, whatever the file still holds. */
  #rejected: string | undefined;
  #asks = 0;

  constructor(private readonly opts: SiblingTokenOptions) {}

  /** How many grants were asked for since start. */
  get asks(): number {
    return this.#asks;
  }

  get(): Promise<TokenGrant> {
    if (this.#grant) return Promise.resolve(this.#grant);
    this.#asking ??= this.#loadOrAsk().finally(() => {
      this.#asking = undefined;
    });
    return this.#asking;
  }

  /** InfluxDB answered 401 to `token`: the next get() asks for a new one. */
  rejected(token: string): void {
    this.#rejected = token;
    if (this.#grant?.token === token) this.#grant = undefined;
  }

  async #loadOrAsk(): Promise<TokenGrant> {
    const kept = await this.#load();
    if (kept && kept.token !== this.#rejected) {
      this.#grant = kept;
      return kept;
    }
    this.#asks += 1;
    const grant = readTokenGrant(await this.opts.ask());
    this.opts.secrets.add(grant.token);
    await writeFileAtomic(this.opts.tokenFile, JSON.stringify(grant));
    this.opts.log.info(this.opts.received(grant));
    this.#grant = grant;
    return grant;
  }

  /** The kept grant, or undefined when there is none or it cannot be read (an older format: ask again). */
  async #load(): Promise<TokenGrant | undefined> {
    let text: string;
    try {
      text = await readFile(this.opts.tokenFile, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const grant = readTokenGrant(parseJson(text));
      this.opts.secrets.add(grant.token);
      return grant;
    } catch {
      return undefined;
    }
  }
}
