/**
 * Data the Supervisor returns about add-ons and itself, and how it renders options.
 * @module
 */
import { effectiveOptions, ingressEntryOf, type Addon } from './registry.js';
import type { CoreTarget } from './types.js';

/** Version the emulator claims; new enough that options redaction and the WS command filter apply. */
export const SUPERVISOR_VERSION = '2026.08.0';

/** Core version reported when the {@link CoreTarget} names none. */
export const DEFAULT_HA_VERSION = '2026.8.0';

/** `APIApps.info_data` (the subset the emulator can fill meaningfully). */
export function addonInfo(addon: Addon, caller: Addon | undefined, repoHash: string): Record<string, unknown> {
  const c = addon.config;
  // Since 2026.07.0 another app's options may carry secrets and are shown only to manager/admin.
  const exposeOptions =
    caller === undefined ||
    caller === addon ||
    caller.config.hassio_role === 'manager' ||
    caller.config.hassio_role === 'admin';
  const entry = ingressEntryOf(addon);
  return {
    name: c.name,
    slug: addon.slug,
    hostname: addon.hostname,
    dns: [`${addon.hostname}.local.hass.io`],
    description: c.description,
    long_description: null,
    advanced: false,
    stage: 'stable',
    repository: repoHash,
    version_latest: c.version,
    protected: true,
    boot_config: 'auto',
    boot: addon.boot,
    options: exposeOptions ? effectiveOptions(addon) : {},
    arch: c.arch,
    machine: [],
    homeassistant: null,
    url: c.url ?? null,
    detached: false,
    available: true,
    build: false,
    network: c.ports ?? null,
    network_description: c.ports_description ?? null,
    host_network: false,
    host_pid: false,
    host_ipc: false,
    host_uts: false,
    host_dbus: false,
    privileged: [],
    full_access: false,
    apparmor: 'default',
    icon: false,
    logo: false,
    changelog: false,
    documentation: false,
    stdin: false,
    hassio_api: c.hassio_api,
    hassio_role: c.hassio_role,
    auth_api: c.auth_api,
    homeassistant_api: c.homeassistant_api,
    startup: c.startup,
    services: c.services,
    discovery: c.discovery,
    translations: {},
    ingress: c.ingress,
    signed: false,
    state: addon.state,
    webui: c.webui ?? null,
    ingress_entry: entry,
    ingress_url: entry === null ? null : `${entry}/${c.ingress_entry ?? ''}`,
    ingress_port: c.ingress ? c.ingress_port : null,
    ingress_panel: addon.ingressPanel,
    audio_input: null,
    audio_output: null,
    auto_update: addon.autoUpdate,
    ip_address: addon.ip,
    version: c.version,
    update_available: false,
    watchdog: addon.watchdog,
    devices: [],
    system_managed: false,
    system_managed_config_entry: null,
  };
}

/** One entry of `GET /addons` (v1 key `addons`). */
export function addonListEntry(addon: Addon, repoHash: string): Record<string, unknown> {
  const c = addon.config;
  return {
    name: c.name,
    slug: addon.slug,
    description: c.description,
    advanced: false,
    stage: 'stable',
    version: c.version,
    version_latest: c.version,
    update_available: false,
    available: true,
    detached: false,
    homeassistant: null,
    state: addon.state,
    repository: repoHash,
    build: false,
    url: c.url ?? null,
    icon: false,
    logo: false,
    system_managed: false,
  };
}

/** `GET /info`. */
export function supervisorInfo(core: CoreTarget | undefined): Record<string, unknown> {
  return {
    supervisor: SUPERVISOR_VERSION,
    homeassistant: core ? (core.version ?? DEFAULT_HA_VERSION) : null,
    hassos: null,
    docker: '28.3.3',
    hostname: 'homeassistant',
    operating_system: 'HomeIQ Supervisor emulator',
    features: ['hostname', 'network', 'reboot', 'shutdown', 'timedate'],
    machine: 'qemux86-64',
    machine_id: null,
    arch: 'amd64',
    supported_arch: ['amd64'],
    supported: true,
    channel: 'stable',
    logging: 'info',
    state: 'running',
    timezone: 'UTC',
  };
}

/** Result of rendering options against the config `schema`. */
export type RenderedOptions = { ok: true; options: Record<string, unknown> } | { ok: false; message: string };

/**
 * What `GET /addons/self/options/config` returns: the options after schema validation. Only the top level
 * is checked: keys missing from the schema are dropped (the Supervisor warns and drops them) and required
 * keys (type without a trailing `?`) must be present. Value types are not checked.
 */
export function renderOptions(addon: Addon, options = effectiveOptions(addon)): RenderedOptions {
  const schema = addon.config.schema;
  if (schema === undefined || schema === false) return { ok: true, options };
  const rendered: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (Object.hasOwn(schema, key)) rendered[key] = value;
  }
  for (const [key, type] of Object.entries(schema)) {
    // As the Supervisor: for a list schema like ["str?"], its element type decides.
    const t: unknown = Array.isArray(type) && type.length > 0 ? type[0] : type;
    const optional = typeof t === 'string' && t.endsWith('?');
    if (!optional && !Object.hasOwn(options, key)) {
      return {
        ok: false,
        message: `Missing option '${key}' in root in ${addon.config.name} (${addon.slug})`,
      };
    }
  }
  return { ok: true, options: rendered };
}
