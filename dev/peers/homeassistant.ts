/**
 * A real Home Assistant Core, installed from PyPI, as a test peer.
 *
 * - {@link provisionHomeAssistant} builds (once, cached) a virtualenv with the
 *   pinned Home Assistant version of a role (`main`: the current one; `floor`:
 *   the oldest supported) and every Python requirement our config needs.
 * - {@link startHomeAssistant} runs it on 127.0.0.1 with a fresh config dir,
 *   onboards it over HTTP and mints a long-lived admin access token.
 * - {@link createStateDriver} changes helper entities at a fixed rate through
 *   REST service calls, so `state_changed` events flow.
 * - {@link haRest} is a small authenticated REST helper.
 *
 * See dev/peers/homeassistant/README.md for what is installed and timings.
 */
export { haRest, HaHttpError, type HaEndpoint } from './homeassistant/rest.js';
export { HA_TEST_USER, wsCommand } from './homeassistant/onboarding.js';
export {
  HA_ROLES,
  haVersion,
  provisionHomeAssistant,
  type HaRole,
  type HaVersion,
  type ProvisionedHa,
} from './homeassistant/provision.js';
export {
  startHomeAssistant,
  type RealHa,
  type StartHomeAssistantOptions,
} from './homeassistant/instance.js';
export {
  createStateDriver,
  DEFAULT_DRIVER_ENTITIES,
  DERIVED_ENTITIES,
  type StateDriver,
  type StateDriverOptions,
  type StateDriverResult,
} from './homeassistant/driver.js';
