// The checks the community add-on linter (frenck/action-addon-linter v2.21, src/lint.py) runs on top of its
// JSON schema. Messages follow lint.py; rule ids are ours. Apply after compileLinterSchema.

import type { ProblemSink } from './problems.ts';
import { isObject } from './schema-types.ts';

const DEPRECATED_ARCH = ['armhf', 'armv7', 'i386'];
const DEVICE_KEYS = ['devices', 'gpio', 'uart', 'usb'];

const mapType = (entry: unknown): unknown =>
  typeof entry === 'string' ? entry.split(':')[0] : isObject(entry) ? entry['type'] : undefined;

/** lint.py's config checks on config.yaml as data (after schema validation). */
export function frenckConfigRules(c: unknown, sink: ProblemSink): void {
  const { error, warning } = sink;
  if (!isObject(c)) return;

  for (const arch of Array.isArray(c['arch']) ? c['arch'] : []) {
    if (DEPRECATED_ARCH.includes(String(arch))) {
      warning('deprecated-arch', `'${arch}' is no longer supported as of Home Assistant 2025.12`, ['arch']);
    }
  }
  if (c['ingress']) {
    if (c['webui']) error('webui-ingress', "'webui' should be removed, Ingress is enabled.", ['webui']);
    if (!c['host_network'] && (c['ingress_port'] ?? 8099) === 0) {
      error(
        'ingress-port-zero',
        "'ingress_port' this does not run on the host network. In Ingress port doesn't have to be randomized (not 0).",
        ['ingress_port'],
      );
    }
  }
  if (c['full_access']) {
    if (DEVICE_KEYS.some((k) => k in c)) {
      error('full-access-devices', "'full_access', don't add 'devices', 'uart', 'usb' or 'gpio' this is not needed", [
        'full_access',
      ]);
    }
    warning('full-access', "'full_access' consider using other options instead, like 'devices'", ['full_access']);
  }
  if ('auto_uart' in c) error('auto-uart', "'auto_uart' is deprecated, use 'uart' instead.", ['auto_uart']);
  if (Array.isArray(c['devices']) && c['devices'].some((d) => String(d).includes(':'))) {
    error('devices-format', "'devices' uses a deprecated format, the new format uses a list of paths only.", [
      'devices',
    ]);
  }
  if ('tmpfs' in c && typeof c['tmpfs'] !== 'boolean') {
    error('tmpfs-bool', "'tmpfs' use a deprecated format, it is a boolean now.", ['tmpfs']);
  }
  if ((c['backup'] ?? 'hot') === 'cold') {
    for (const key of ['backup_pre', 'backup_post']) {
      if (key in c) error('cold-backup-hooks', `'${key}' is not valid when using cold backups.`, [key]);
    }
  }
  if (c['watchdog']) {
    error('watchdog', "'watchdog', is obsolete. Use the native Docker HEALTHCHECK directive instead.", ['watchdog']);
  }
  if ('codenotary' in c)
    error('codenotary', "'codenotary' is deprecated and no longer used, remove it.", ['codenotary']);
  const maps = Array.isArray(c['map']) ? c['map'].map(mapType) : [];
  if (maps.includes('config')) {
    if (maps.includes('homeassistant_config') || maps.includes('addon_config')) {
      error(
        'map-config-mixed',
        "'map' contains 'config' together with 'homeassistant_config' or 'addon_config'; they cannot be combined",
        ['map'],
      );
    }
    warning('map-config', "'map' contains the legacy 'config' folder; use 'homeassistant_config' or 'addon_config'", [
      'map',
    ]);
  }
  if ('advanced' in c)
    warning('advanced', "'advanced' is deprecated and ignored by the Supervisor, remove it.", ['advanced']);
}

/** lint.py's build-file checks (after schema validation of build.yaml). */
export function frenckBuildRules(b: unknown, sink: ProblemSink): void {
  if (!isObject(b)) return;
  if (isObject(b['build_from'])) {
    for (const arch of Object.keys(b['build_from'])) {
      if (DEPRECATED_ARCH.includes(String(arch))) {
        sink.warning('deprecated-arch', `'${arch}' is no longer supported as of Home Assistant 2025.12`, [
          'build_from',
          arch,
        ]);
      }
    }
  }
  if ('codenotary' in b)
    sink.error('codenotary', "'codenotary' is deprecated and no longer used, remove it.", ['codenotary']);
  if ('squash' in b) sink.error('squash', "'squash' is deprecated and no longer used, remove it.", ['squash']);
}
