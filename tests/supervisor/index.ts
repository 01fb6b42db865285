/**
 * Supervisor emulator for tests and the dev launcher. See README.md in this folder for what it covers.
 * @module
 */
export { DEFAULT_INGRESS_USER, DEFAULT_REPOSITORY_URL, startSupervisorEmulator } from './emulator';
export { DEFAULT_HA_VERSION, SUPERVISOR_VERSION } from './info';
export { hostnameFor, repositoryHash, storeSlug } from './registry';
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
} from './types';
