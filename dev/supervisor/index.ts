/**
 * Supervisor emulator for tests and the dev launcher. See README.md in this folder for what it covers.
 * @module
 */
export { DEFAULT_INGRESS_USER, DEFAULT_REPOSITORY_URL, startSupervisorEmulator } from './emulator.js';
export { DEFAULT_HA_VERSION, SUPERVISOR_VERSION } from './info.js';
export { hostnameFor, repositoryHash, storeSlug } from './registry.js';
export type {
  AddonState,
  CoreTarget,
  HassioRole,
  IngressUser,
  RegisterAddonOptions,
  RegisteredAddon,
  RequestLogEntry,
  StartOptions,
  SupervisorEmulator,
} from './types.js';
