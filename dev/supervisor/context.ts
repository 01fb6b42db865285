/**
 * The per-instance state every handler module reads. Nothing lives at module level, so two emulators
 * in one test process never see each other.
 * @module
 */
import type { AddonRegistry } from './registry.js';
import type { ServiceRegistry } from './services.js';
import type { CoreTarget, IngressUser, RequestLogEntry } from './types.js';

export interface EmulatorContext {
  /** Address the emulator listens on and binds outgoing connections to. */
  readonly host: string;
  /** Base URL once listening. */
  readonly url: string;
  readonly registry: AddonRegistry;
  /** What service providers (a broker add-on, a database add-on) registered with `POST /services/<name>`. */
  readonly services: ServiceRegistry;
  readonly core: CoreTarget | undefined;
  readonly ingressUser: IngressUser | null;
  readonly wsAuthTimeoutMs: number;
  readonly checkCoreState: boolean;
  readonly maxWsBufferedBytes: number;
  /** Registers something `stop()` must tear down; returns the unregister function. */
  track(teardown: () => void): () => void;
  log(entry: RequestLogEntry): void;
}

/** Bytes the Supervisor reads from a request body at most (aiohttp `client_max_size`). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
