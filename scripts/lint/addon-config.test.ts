// Rules of the add-on config check (scripts/lint): linter schema, lint.py's extra rules, HomeIQ's
// own rules and translations, on small in-memory configs.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createConfigLinter, lintRepositoryYaml, lintTranslations } from './addon-config.ts';
import { loadLinterSchemas, pyEqual } from './addon-schema.ts';
import type { Problem } from './problems.ts';
import { RE_SCHEMA_ELEMENT } from './schema-types.ts';

const linter = createConfigLinter(loadLinterSchemas({}));

type Config = Record<string, unknown>;
const BASE: Config = {
  name: 'HomeIQ Test',
  version: '1.0.0',
  slug: 'homeiq-test',
  description: 'A test add-on',
  arch: ['aarch64', 'amd64'],
  image: 'ghcr.io/homeiq/homeiq-test',
  init: false,
  options: { log_level: 'info' },
  schema: { log_level: 'list(trace|debug|info)' },
};

/** BASE with overrides (undefined deletes a key), as YAML with every string double-quoted. */
function yamlOf(overrides: Config = {}): string {
  const config: Config = { ...BASE, ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete config[k];
  return stringify(config, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
}
function lintText(text: string): Problem[] {
  const problems: Problem[] = [];
  linter.config(text, 'homeiq-test/config.yaml', problems);
  return problems;
}
const lint = (overrides: Config = {}) => lintText(yamlOf(overrides));
const errors = (ps: Problem[]) => ps.filter((p) => p.level === 'error').map((p) => p.rule);
const warnings = (ps: Problem[]) => ps.filter((p) => p.level === 'warning').map((p) => p.rule);

describe('config.yaml', () => {
  it('passes a clean config', () => {
    expect(lint()).toEqual([]);
  });

  it('reports YAML syntax errors with their line', () => {
    const ps = lintText('---\nname: x\nname: y\n');
    expect(errors(ps)).toEqual(['yaml']);
    expect(ps[0]?.line).toBe(3);
  });

  describe('linter JSON schema', () => {
    it.each([
      ['unknown key', { colour: 'blue' }],
      ['missing required key', { name: undefined }],
      ['wrong type', { timeout: 'long' }],
      ['enum', { startup: 'later' }],
      ['ports value', { ports: { '80/tcp': 70000 } }],
    ])('rejects %s', (_label, overrides) => {
      expect(errors(lint(overrides))).toContain('schema');
    });

    it('understands the Python named groups in its patterns', () => {
      expect(lint({ services: ['mqtt:want'] })).toEqual([]);
      expect(errors(lint({ services: ['mqtt:maybe'] }))).toContain('schema');
    });

    it('does not enforce formats (like lint.py)', () => {
      expect(lint({ url: 'not a uri but fine' })).toEqual([]);
    });

    it.each([
      ['boot', 'auto'],
      ['startup', 'application'],
      ['stage', 'stable'],
      ['timeout', 10],
      ['ingress_port', 8099],
      ['panel_icon', 'mdi:puzzle'],
      ['panel_admin', true],
      ['hassio_role', 'default'],
      ['apparmor', true],
      ['backup', 'hot'],
      ['host_network', false],
      ['ulimits', {}],
    ])("flags '%s: %j' as a default value", (key, value) => {
      const ps = lint({ [key]: value });
      expect(ps.find((p) => p.rule === 'default-value')?.message).toBe(
        `'${key}' should be removed, it uses a default value`,
      );
    });

    it('compares defaults the way Python does', () => {
      expect(pyEqual(true, 1)).toBe(true);
      expect(pyEqual(10.0, 10)).toBe(true);
      expect(pyEqual({ a: [1, 'x'] }, { a: [1, 'x'] })).toBe(true);
      expect(pyEqual('10', 10)).toBe(false);
      expect(pyEqual([], {})).toBe(false);
    });
  });

  describe("lint.py's extra rules", () => {
    it.each<[string, Config, string]>([
      ['watchdog', { watchdog: 'tcp://[HOST]:[PORT:8080]' }, 'watchdog'],
      ['webui with ingress', { ingress: true, webui: 'http://[HOST]:[PORT:8080]/' }, 'webui-ingress'],
      ['ingress_port 0 off the host network', { ingress: true, ingress_port: 0 }, 'ingress-port-zero'],
      ['full_access with devices', { full_access: true, gpio: true }, 'full-access-devices'],
      ['auto_uart', { auto_uart: true }, 'auto-uart'],
      ['devices in the old format', { devices: ['/dev/ttyUSB0:/dev/ttyUSB0:rwm'] }, 'devices-format'],
      ['non-boolean tmpfs', { tmpfs: 'size=10m' }, 'tmpfs-bool'],
      ['cold backup with backup_pre', { backup: 'cold', backup_pre: '/stop.sh' }, 'cold-backup-hooks'],
      ['cold backup with backup_post', { backup: 'cold', backup_post: '/start.sh' }, 'cold-backup-hooks'],
      ['codenotary', { codenotary: 'me@example.com' }, 'codenotary'],
      ['map config with addon_config', { map: ['config:ro', 'addon_config:rw'] }, 'map-config-mixed'],
      [
        'map config with homeassistant_config',
        { map: [{ type: 'config' }, { type: 'homeassistant_config' }] },
        'map-config-mixed',
      ],
    ])('errors on %s', (_label, overrides, rule) => {
      expect(errors(lint(overrides))).toContain(rule);
    });

    it('allows ingress_port 0 on the host network, and cold backups without hooks', () => {
      expect(errors(lint({ ingress: true, ingress_port: 0, host_network: true }))).toEqual([]);
      expect(lint({ backup: 'cold' })).toEqual([]);
    });

    it.each<[string, Config, string]>([
      ['deprecated arch', { arch: ['aarch64', 'amd64', 'armv7'] }, 'deprecated-arch'],
      ['advanced', { advanced: true }, 'advanced'],
      ['full_access', { full_access: true }, 'full-access'],
      ['map config', { map: ['config:ro'] }, 'map-config'],
    ])('warns on %s', (_label, overrides, rule) => {
      expect(warnings(lint(overrides))).toContain(rule);
    });

    it('reports the line of the offending key', () => {
      const problem = lint({ watchdog: 'tcp://[HOST]:[PORT:8080]' }).find((p) => p.rule === 'watchdog');
      const line =
        yamlOf({ watchdog: 'tcp://[HOST]:[PORT:8080]' })
          .split('\n')
          .findIndex((l) => l.startsWith('watchdog:')) + 1;
      expect(problem?.line).toBe(line);
    });
  });

  describe('HomeIQ rules', () => {
    it('wants version quoted', () => {
      expect(errors(lintText(yamlOf().replace('version: "1.0.0"', 'version: 1.0.0')))).toEqual(['version-quoted']);
      expect(lintText(yamlOf().replace('version: "1.0.0"', "version: '1.0.0'"))).toEqual([]);
    });

    it.each([
      ['a tag', 'ghcr.io/homeiq/homeiq-test:1.0.0'],
      ['a digest', 'ghcr.io/homeiq/homeiq-test@sha256:abc'],
      ['upper case', 'ghcr.io/HomeIQ/homeiq-test'],
      ['no image', undefined],
    ])('rejects an image with %s', (_label, image) => {
      expect(errors(lint({ image }))).toContain('image');
    });

    it('accepts an {arch} image and a registry with a port', () => {
      expect(lint({ image: 'ghcr.io/homeiq/{arch}-homeiq-test' })).toEqual([]);
      expect(lint({ image: 'registry.local:5000/homeiq/homeiq-test' })).toEqual([]);
    });

    it('requires init: false', () => {
      expect(errors(lint({ init: undefined }))).toEqual(['init-false']);
      expect(errors(lint({ init: true }))).toEqual(expect.arrayContaining(['init-false', 'default-value']));
    });

    it.each([[['amd64']], [['aarch64', 'amd64', 'armhf']], [['amd64', 'amd64']]])('rejects arch %j', (arch) => {
      expect(errors(lint({ arch }))).toContain('arch');
    });

    it('rejects a malformed slug', () => {
      expect(errors(lint({ slug: 'homeiq test' }))).toContain('slug');
    });

    it('wants every option in the schema and every mandatory schema key in the options', () => {
      expect(errors(lint({ options: { log_level: 'info', stray: 1 } }))).toEqual(['options-schema']);
      expect(errors(lint({ schema: { log_level: 'list(info|debug)', token: 'password' } }))).toEqual([
        'options-schema',
      ]);
    });

    it('treats `?` types as optional, and rejects a default on them', () => {
      expect(lint({ schema: { log_level: 'list(info|debug)', token: 'password?' } })).toEqual([]);
      expect(
        lint({ options: { log_level: 'info', token: null }, schema: { log_level: 'list(info)', token: 'password' } }),
      ).toEqual([]);
      const ps = lint({
        options: { log_level: 'info', token: 'x' },
        schema: { log_level: 'list(info)', token: 'password?' },
      });
      expect(errors(ps)).toEqual(['options-schema']);
    });

    it('checks nested options against the nested schema', () => {
      const schema = { log_level: 'str', targets: [{ name: 'str', port: 'port?' }], db: { host: 'str' } };
      expect(lint({ options: { log_level: 'info', targets: [{ name: 'a' }], db: { host: 'h' } }, schema })).toEqual([]);
      const ps = lint({ options: { log_level: 'info', targets: [{ name: 'a', bogus: 1 }], db: {} }, schema });
      expect(ps.map((p) => p.message)).toEqual([
        "option 'targets.0.bogus' has no entry in 'schema'",
        expect.stringContaining("schema key 'db.host' has no default"),
      ]);
    });

    it.each([
      'bool',
      'email',
      'url',
      'port',
      'device',
      'device(subsystem=tty)',
      'str',
      'str(3,)',
      'str(,10)',
      'str(1,5)',
      'password',
      'password(8,)',
      'int',
      'int(-5,10)',
      'float',
      'float(0.5,)',
      'float(-1.5,2)',
      'match(^a+$)',
      'list(a|b|c)',
      'str?',
      'list(x|y)?',
    ])('accepts schema type %s', (type) => {
      expect(RE_SCHEMA_ELEMENT.test(type)).toBe(true);
      expect(lint({ options: {}, schema: { x: type } }).map((p) => p.rule)).not.toContain('schema-type');
    });

    it.each(['string', 'integer', 'int(1-5)', 'str=foo', 'float(a,b)', 'device(tty)', 'list()', '', '?', 'bool??'])(
      'rejects schema type %j',
      (type) => {
        expect(errors(lint({ options: { x: 1 }, schema: { x: type } }))).toContain('schema-type');
      },
    );

    it('rejects schema nesting deeper than two levels and multi-type lists', () => {
      expect(errors(lint({ options: {}, schema: { a: { b: { c: 'str?' } } } }))).toContain('schema-type');
      expect(errors(lint({ options: {}, schema: { a: ['str', 'int'] } }))).toContain('schema-type');
      expect(errors(lint({ options: {}, schema: { a: [['str']] } }))).toContain('schema-type');
    });
  });
});

describe('translations', () => {
  const config = {
    schema: { log_level: 'list(info|debug)', targets: [{ name: 'str' }] },
    ports: { '8086/tcp': null },
  };
  const entry = (name: string) => ({ name, description: `${name} help` });
  const good = {
    configuration: { log_level: entry('Log level'), targets: { ...entry('Targets'), fields: { name: entry('Name') } } },
    network: { '8086/tcp': 'InfluxDB HTTP API' },
  };
  const check = (t: unknown, coverage = true) => {
    const problems: Problem[] = [];
    lintTranslations(stringify(t), 'homeiq-test/translations/en.yaml', config, problems, { coverage });
    return problems;
  };

  it('passes complete translations', () => {
    expect(check(good)).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['a missing name', { ...good, configuration: { ...good.configuration, log_level: { description: 'x' } } }],
    ['a missing description', { ...good, configuration: { ...good.configuration, log_level: { name: 'x' } } }],
    [
      'an unknown entry key',
      { ...good, configuration: { ...good.configuration, log_level: { ...entry('x'), help: 'y' } } },
    ],
    ['an unknown top-level key', { ...good, services: {} }],
    ['a non-string network description', { ...good, network: { '8086/tcp': 5 } }],
  ])('rejects %s', (_label, t) => {
    expect(errors(check(t, false))).toEqual(['translations']);
  });

  it.each<[string, unknown]>([
    ['an untranslated key', { ...good, configuration: { targets: good.configuration.targets } }],
    ['a key not in the schema', { ...good, configuration: { ...good.configuration, gone: entry('Gone') } }],
    ['an untranslated nested field', { ...good, configuration: { ...good.configuration, targets: entry('Targets') } }],
    [
      'fields on a plain option',
      { ...good, configuration: { ...good.configuration, log_level: { ...entry('x'), fields: {} } } },
    ],
    ['an undescribed port', { configuration: good.configuration }],
    ['a network entry that is not a port', { ...good, network: { ...good.network, '80/tcp': 'Web' } }],
  ])('en.yaml coverage rejects %s', (_label, t) => {
    expect(errors(check(t))).toEqual(['translations-coverage']);
  });
});

describe('repository.yaml', () => {
  const check = (text: string) => {
    const problems: Problem[] = [];
    lintRepositoryYaml(text, 'repository.yaml', problems);
    return problems;
  };
  it('passes name, url and maintainer', () => {
    expect(check('---\nname: HomeIQ\nurl: https://example.com/r\nmaintainer: Me <me@example.com>\n')).toEqual([]);
  });
  it('rejects missing keys, unknown keys and a bad url', () => {
    expect(check('---\nname: HomeIQ\n').length).toBe(2);
    expect(errors(check('---\nname: a\nurl: nope\nmaintainer: b\nbranch: x\n'))).toEqual(['repository', 'repository']);
  });
});
