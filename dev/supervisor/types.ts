/**
 * Types shared by the Supervisor emulator modules.
 * @module
 */

/** Where `/core/*` is relayed: a real Home Assistant Core or the HA simulator. */
export interface CoreTarget {
  /** Base URL of Core, e.g. `http://127.0.0.1:8123` (no trailing `/api`). */
  url: string;
  /** Long-lived access token of an HA admin; the emulator uses it the way the Supervisor uses its own Core token. */
  token: string;
  /** Reported as `ha_version` in the WebSocket handshake and as `homeassistant` in `GET /info`. */
  version?: string;
}

/** The HA user behind ingress requests (what the Supervisor reads from the ingress session). */
export interface IngressUser {
  id: string;
  /** Username, sent as `X-Remote-User-Name`. */
  name: string;
  /** Sent as `X-Remote-User-Display-Name`. */
  displayName: string;
}

/** `hassio_role` values the Supervisor knows. */
export type HassioRole = 'default' | 'homeassistant' | 'backup' | 'manager' | 'admin';

/** Container state as far as the emulator models it. */
export type AddonState = 'started' | 'stopped';

/** One line of {@link SupervisorEmulator.requests}. */
export interface RequestLogEntry {
  method: string;
  /** Path without query string, as received (still percent-encoded). */
  path: string;
  /** Store slug of the calling add-on (token-identified) or, for ingress, of the target add-on. */
  addon?: string;
  /** HTTP status sent; 101 for an accepted WebSocket upgrade. */
  status: number;
}

/** Arguments of {@link SupervisorEmulator.registerAddon}. */
export interface RegisterAddonOptions {
  /** Path to the add-on's `config.yaml` (or `.json`). */
  configPath: string;
  /** Loopback address standing for the container IP; default: next free of 127.0.0.11, .12, … */
  ip?: string;
  /** User options, merged over the defaults in config `options` (what the user saved in the UI). */
  options?: Record<string, unknown>;
  /** Default `started`. */
  state?: AddonState;
}

/** What {@link SupervisorEmulator.registerAddon} hands back: everything needed to launch the add-on. */
export interface RegisteredAddon {
  /** Store slug `<repo hash>_<config slug>`. */
  slug: string;
  /** Store slug with every `_` replaced by `-`. */
  hostname: string;
  ip: string;
  /** What the add-on gets as `SUPERVISOR_TOKEN`. */
  token: string;
  /** `/api/hassio_ingress/<ingress token>`, or null when the config has no `ingress: true`. */
  ingressEntry: string | null;
  /** Environment for the add-on process: `SUPERVISOR_TOKEN`, `HASSIO_TOKEN`, `HOMEIQ_SUPERVISOR_URL`, `HOMEIQ_BIND_HOST`, `TZ`. */
  env(): Record<string, string>;
}

/** Options of {@link startSupervisorEmulator}. */
export interface StartOptions {
  core?: CoreTarget;
  /** Default `https://github.com/homeiq/homeiq-addons`. */
  repositoryUrl?: string;
  /** Address to listen on and to bind outgoing connections to; default `127.0.0.2` (stands for 172.30.32.2). */
  host?: string;
  /** Port to listen on; default 0 (random). */
  port?: number;
  /** How long `/core/websocket` waits for the add-on's `auth` message; default 10 000 ms like the Supervisor. */
  wsAuthTimeoutMs?: number;
  /**
   * Probe `GET <core>/api/core/state` before each Core proxy request and answer 502 unless Core is
   * `RUNNING`, as the Supervisor's `check_api_state` does. Default true.
   */
  checkCoreState?: boolean;
  /**
   * Bound on bytes queued towards one WebSocket peer before the emulator gives up on it and closes both
   * sides (HA does the same to clients that cannot keep up). Default 16 MiB.
   */
  maxWsBufferedBytes?: number;
}

/** A running Supervisor emulator. */
export interface SupervisorEmulator {
  /** `http://<host>:<port>`: what add-ons get as `HOMEIQ_SUPERVISOR_URL`. */
  readonly url: string;
  registerAddon(a: RegisterAddonOptions): RegisteredAddon;
  /** "Uninstall": the token and ingress token stop working at once. Unknown slugs throw. */
  unregisterAddon(slug: string): void;
  setAddonState(slug: string, state: AddonState): void;
  /** Swap Core, e.g. after HA restarted on another port; undefined makes every Core proxy answer 502. */
  setCore(core: CoreTarget | undefined): void;
  /** The user behind ingress requests; null sends no `X-Remote-User-*` headers. */
  setIngressUser(u: IngressUser | null): void;
  /** Browser-facing URL `<url>/api/hassio_ingress/<token>/<path>`. Throws for add-ons without ingress. */
  ingressUrl(slug: string, path?: string): string;
  /** The last 1000 requests, oldest first. */
  readonly requests: readonly RequestLogEntry[];
  stop(): Promise<void>;
}
