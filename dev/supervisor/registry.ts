/**
 * Installed add-ons: config loading, store slug / hostname derivation, tokens.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import type { AddonState, RegisterAddonOptions } from './types.js';

/** Slug characters the Supervisor accepts (`RE_SLUG`). */
export const RE_SLUG = '[-_.A-Za-z0-9]+';

/**
 * `sha1(url.lower())[:8]`, as `get_hash_from_repository`. The exact string counts: a trailing `.git`
 * or `#branch` changes the hash.
 */
export function repositoryHash(repositoryUrl: string): string {
  return createHash('sha1').update(repositoryUrl.toLowerCase()).digest('hex').slice(0, 8);
}

/** `<repo hash>_<config slug>`. */
export function storeSlug(repoHash: string, configSlug: string): string {
  return `${repoHash}_${configSlug}`;
}

/** Every `_` becomes `-` (also those inside the config slug). */
export function hostnameFor(slug: string): string {
  return slug.replaceAll('_', '-');
}

const AddonConfigSchema = z.looseObject({
  name: z.string().min(1),
  slug: z.string().regex(new RegExp(`^${RE_SLUG}$`)),
  version: z.string().min(1),
  description: z.string().default(''),
  url: z.string().optional(),
  arch: z.array(z.string()).default([]),
  startup: z.string().default('application'),
  boot: z.string().default('auto'),
  hassio_api: z.boolean().default(false),
  hassio_role: z.enum(['default', 'homeassistant', 'backup', 'manager', 'admin']).default('default'),
  homeassistant_api: z.boolean().default(false),
  auth_api: z.boolean().default(false),
  ingress: z.boolean().default(false),
  ingress_port: z.number().int().min(0).max(65535).default(8099),
  ingress_entry: z.string().optional(),
  ingress_stream: z.boolean().default(false),
  panel_icon: z.string().default('mdi:puzzle'),
  panel_title: z.string().optional(),
  panel_admin: z.boolean().default(true),
  ports: z.record(z.string(), z.number().int().nullable()).optional(),
  ports_description: z.record(z.string(), z.string()).optional(),
  options: z.record(z.string(), z.unknown()).default({}),
  schema: z.union([z.record(z.string(), z.unknown()), z.literal(false)]).optional(),
  discovery: z.array(z.string()).default([]),
  services: z.array(z.string()).default([]),
  watchdog: z.string().optional(),
  webui: z.string().optional(),
});

/** A parsed add-on `config.yaml` with the Supervisor's defaults filled in. */
export type AddonConfig = z.infer<typeof AddonConfigSchema>;

/** Reads and validates an add-on config file (YAML or JSON, both parse as YAML). */
export function loadAddonConfig(configPath: string): AddonConfig {
  const raw: unknown = parseYaml(readFileSync(configPath, 'utf8'));
  const parsed = AddonConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid add-on config ${configPath}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** One installed add-on: its static config plus the mutable state the Supervisor keeps for it. */
export interface Addon {
  readonly slug: string;
  readonly hostname: string;
  readonly ip: string;
  readonly token: string;
  /** Null unless the config enables ingress. */
  readonly ingressToken: string | null;
  readonly config: AddonConfig;
  /** What the user saved; undefined means "defaults only" (also after `{"options": null}`). */
  userOptions: Record<string, unknown> | undefined;
  state: AddonState;
  ingressPanel: boolean;
  watchdog: boolean;
  boot: string;
  autoUpdate: boolean;
}

/** `app.options`: defaults from the config with the user's options on top. */
export function effectiveOptions(addon: Addon): Record<string, unknown> {
  return { ...addon.config.options, ...addon.userOptions };
}

/** `/api/hassio_ingress/<token>` or null. */
export function ingressEntryOf(addon: Addon): string | null {
  return addon.ingressToken === null ? null : `/api/hassio_ingress/${addon.ingressToken}`;
}

const FIRST_ADDON_IP = 11;

/** Installed add-ons of one emulator, indexed by slug, token and ingress token. */
export class AddonRegistry {
  readonly #bySlug = new Map<string, Addon>();
  readonly #byToken = new Map<string, Addon>();
  readonly #byIngressToken = new Map<string, Addon>();
  readonly #repoHash: string;

  constructor(repositoryUrl: string) {
    this.#repoHash = repositoryHash(repositoryUrl);
  }

  get repoHash(): string {
    return this.#repoHash;
  }

  install(opts: RegisterAddonOptions): Addon {
    const config = loadAddonConfig(opts.configPath);
    const slug = storeSlug(this.#repoHash, config.slug);
    if (this.#bySlug.has(slug)) throw new Error(`add-on ${slug} is already registered`);
    const ip = opts.ip ?? this.#nextFreeIp();
    if (isIP(ip) !== 4) throw new Error(`add-on ip must be an IPv4 address, got ${JSON.stringify(ip)}`);
    for (const other of this.#bySlug.values()) {
      if (other.ip === ip) throw new Error(`ip ${ip} is already used by ${other.slug}`);
    }
    const addon: Addon = {
      slug,
      hostname: hostnameFor(slug),
      ip,
      // Same shapes as the Supervisor: token_hex(56) and token_urlsafe(32).
      token: randomBytes(56).toString('hex'),
      ingressToken: config.ingress ? randomBytes(32).toString('base64url') : null,
      config,
      userOptions: opts.options === undefined ? undefined : { ...opts.options },
      state: opts.state ?? 'started',
      ingressPanel: false,
      watchdog: config.watchdog !== undefined,
      boot: config.boot,
      autoUpdate: false,
    };
    this.#bySlug.set(slug, addon);
    this.#byToken.set(addon.token, addon);
    if (addon.ingressToken !== null) this.#byIngressToken.set(addon.ingressToken, addon);
    return addon;
  }

  uninstall(slug: string): void {
    const addon = this.require(slug);
    this.#bySlug.delete(slug);
    this.#byToken.delete(addon.token);
    if (addon.ingressToken !== null) this.#byIngressToken.delete(addon.ingressToken);
  }

  get(slug: string): Addon | undefined {
    return this.#bySlug.get(slug);
  }

  require(slug: string): Addon {
    const addon = this.#bySlug.get(slug);
    if (!addon) throw new Error(`no add-on ${slug} is registered`);
    return addon;
  }

  fromToken(token: string | undefined | null): Addon | undefined {
    return token ? this.#byToken.get(token) : undefined;
  }

  fromIngressToken(token: string): Addon | undefined {
    return this.#byIngressToken.get(token);
  }

  list(): Addon[] {
    return [...this.#bySlug.values()];
  }

  #nextFreeIp(): string {
    const used = new Set([...this.#bySlug.values()].map((a) => a.ip));
    for (let last = FIRST_ADDON_IP; last < 255; last++) {
      const ip = `127.0.0.${last}`;
      if (!used.has(ip)) return ip;
    }
    throw new Error('no free loopback address left for add-ons');
  }
}
