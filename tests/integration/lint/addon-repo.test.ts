// The repository-level config check (lintAddonRepository) on a throw-away git repo.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lintAddonRepository } from '../../../scripts/lint/addon-config.ts';
import { ADDON, createFixture, pngHeader, type Fixture } from '../../harness/lint-fixture.js';

let fx: Fixture;
beforeEach(() => {
  fx = createFixture();
});
afterEach(() => fx.cleanup());

const run = (expected = [ADDON], env: NodeJS.ProcessEnv = {}) => lintAddonRepository(fx.root, { env, expected });
const found = () => run().problems.map((p) => `${p.file} ${p.rule}`);

describe('lintAddonRepository', () => {
  it('passes a complete add-on', () => {
    const { problems, addons } = run();
    expect(problems).toEqual([]);
    expect(addons).toEqual([ADDON]);
  });

  it('fails when an expected add-on folder has no config.yaml', () => {
    expect(run([ADDON, 'homeiq-admin']).problems.map((p) => `${p.file} ${p.rule}`)).toEqual([
      'homeiq-admin addon-missing',
    ]);
  });

  it('fails with a clear message when the linter schema is missing', () => {
    const { problems } = run([ADDON], { HOMEIQ_ADDON_SCHEMA: '/nonexistent/config.schema.json' });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.rule).toBe('schema-missing');
    expect(problems[0]?.message).toContain('/nonexistent/config.schema.json');
    expect(problems[0]?.message).toContain('HOMEIQ_ADDON_SCHEMA');
  });

  it('lints the config itself', () => {
    fx.write(`${ADDON}/config.yaml`, '---\nname: x\n');
    expect(found()).toEqual(expect.arrayContaining([`${ADDON}/config.yaml schema`, `${ADDON}/config.yaml init-false`]));
  });

  it.each([
    'Dockerfile',
    'DOCS.md',
    'README.md',
    'CHANGELOG.md',
    'apparmor.txt',
    'icon.png',
    'logo.png',
    'translations/en.yaml',
  ])('requires %s', (rel) => {
    fx.remove(`${ADDON}/${rel}`);
    expect(found()).toContain(`${ADDON} required-file`);
  });

  it('requires the AppArmor profile to be named after the slug', () => {
    fx.write(`${ADDON}/apparmor.txt`, 'profile homeiq-test-old flags=(attach_disconnected) {\n}\n');
    expect(found()).toEqual([`${ADDON}/apparmor.txt apparmor-profile`]);
  });

  it('requires the slug to be the folder name', () => {
    fx.write(
      `${ADDON}/config.yaml`,
      fx.git('show', `:${ADDON}/config.yaml`).replace(`slug: ${ADDON}`, 'slug: homeiq-other'),
    );
    expect(found()).toEqual(
      expect.arrayContaining([`${ADDON}/config.yaml slug`, `${ADDON}/apparmor.txt apparmor-profile`]),
    );
  });

  it('checks icon and logo sizes', () => {
    fx.write(`${ADDON}/icon.png`, pngHeader(256, 256));
    fx.write(`${ADDON}/logo.png`, 'not a png');
    expect(found()).toEqual([`${ADDON}/icon.png icon`, `${ADDON}/logo.png logo`]);
  });

  it('checks en.yaml coverage against the config', () => {
    fx.write(
      `${ADDON}/translations/en.yaml`,
      '---\nconfiguration:\n  log_level:\n    name: Log level\n    description: x\n',
    );
    expect(found()).toEqual([`${ADDON}/translations/en.yaml translations-coverage`]);
  });

  it('checks the Dockerfile', () => {
    fx.write(`${ADDON}/Dockerfile`, 'FROM ghcr.io/home-assistant/base:latest\n');
    expect(found()).toEqual([
      `${ADDON}/Dockerfile dockerfile-from`,
      `${ADDON}/Dockerfile dockerfile-healthcheck`,
      `${ADDON}/Dockerfile dockerfile-labels`,
      `${ADDON}/Dockerfile dockerfile-labels`,
      `${ADDON}/Dockerfile dockerfile-labels`,
    ]);
  });

  it('rejects a build file, and lints it with the build schema', () => {
    fx.write(`${ADDON}/build.yaml`, '---\nbuild_from:\n  armv7: x/y:1\nsquash: true\n');
    const problems = run().problems;
    expect(problems.map((p) => `${p.rule}/${p.level}`).sort()).toEqual([
      'build-file/error',
      'deprecated-arch/warning',
      'squash/error',
    ]);
  });

  it('requires s6 scripts to be committed executable', () => {
    fx.git('update-index', '--chmod=-x', `${ADDON}/rootfs/etc/services.d/test/run`);
    const problems = run().problems;
    expect(problems.map((p) => `${p.file} ${p.rule}`)).toEqual([`${ADDON}/rootfs/etc/services.d/test/run s6-exec`]);
    expect(problems[0]?.message).toContain('100644');
  });

  it('flags scripts that are not in git at all', () => {
    fx.write(`${ADDON}/rootfs/usr/bin/helper`, '#!/bin/sh\ntrue\n', { executable: true });
    expect(found()).toEqual([`${ADDON}/rootfs/usr/bin/helper s6-exec`]);
  });

  it('requires a longrun with run and finish', () => {
    fx.git('rm', '-q', '--cached', `${ADDON}/rootfs/etc/services.d/test/finish`);
    fx.remove(`${ADDON}/rootfs/etc/services.d/test/finish`);
    expect(found()).toEqual([`${ADDON}/rootfs/etc/services.d/test s6-service`]);
    fx.git('rm', '-q', '-f', `${ADDON}/rootfs/etc/services.d/test/run`);
    expect(found()).toEqual([`${ADDON} s6-service`]);
  });

  it('accepts the s6-rc.d layout', () => {
    fx.git('rm', '-q', '-r', '-f', `${ADDON}/rootfs/etc/services.d`);
    const svc = `${ADDON}/rootfs/etc/s6-overlay/s6-rc.d/test`;
    fx.write(`${svc}/type`, 'longrun\n');
    fx.write(`${svc}/run`, '#!/command/with-contenv bashio\nexec node /app/main.mjs\n', { executable: true });
    fx.write(`${svc}/finish`, '#!/command/with-contenv sh\nexit 0\n', { executable: true });
    fx.write(`${ADDON}/rootfs/etc/s6-overlay/s6-rc.d/user/contents.d/test`, '');
    fx.git('add', '.');
    expect(found()).toEqual([]);
    fx.git('rm', '-q', '--cached', `${svc}/finish`);
    fx.remove(`${svc}/finish`);
    expect(found()).toEqual([`${svc} s6-service`]);
  });

  it('flags config files the Supervisor would load, except under rootfs/ and dot-folders', () => {
    fx.write(`${ADDON}/rootfs/etc/app/config.yaml`, '---\na: 1\n');
    fx.write('.github/config.yml', '---\na: 1\n');
    expect(found()).toEqual([]);
    fx.write('docs/examples/config.yaml', '---\na: 1\n');
    fx.write(`${ADDON}/config.json`, '{}');
    expect(found()).toEqual(['docs/examples/config.yaml stray-config', `${ADDON}/config.json stray-config`]);
  });

  it('requires repository.yaml', () => {
    fx.remove('repository.yaml');
    expect(found()).toEqual(['repository.yaml repository']);
  });
});
