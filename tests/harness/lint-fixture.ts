// A throw-away git repository holding one complete, lint-clean add-on, for scripts/lint tests.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A PNG signature + IHDR chunk header, enough for the size reader. */
export function pngHeader(width: number, height: number): Buffer {
  const buf = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(buf, 0);
  buf.writeUInt32BE(13, 8);
  buf.write('IHDR', 12, 'latin1');
  buf.writeUInt32BE(width, 16);
  buf.writeUInt32BE(height, 20);
  return buf;
}

export const ADDON = 'homeiq-test';

const CONFIG = `---
name: HomeIQ Test
version: "1.0.0"
slug: ${ADDON}
description: A test add-on
arch:
  - aarch64
  - amd64
image: ghcr.io/homeiq/${ADDON}
init: false
ports:
  8086/tcp: null
options:
  log_level: info
schema:
  log_level: list(info|debug)
`;
const EN = `---
configuration:
  log_level:
    name: Log level
    description: How much to log
network:
  8086/tcp: InfluxDB HTTP API
`;
const DOCKERFILE = `FROM ghcr.io/home-assistant/base:3.23
COPY rootfs /
HEALTHCHECK CMD curl -fsS http://127.0.0.1:8325/health || exit 1
LABEL io.hass.version="1.0.0" io.hass.type="app" io.hass.arch="amd64"
`;

export interface Fixture {
  root: string;
  write(rel: string, content: string | Buffer, opts?: { executable?: boolean }): void;
  remove(rel: string): void;
  git(...args: string[]): string;
  cleanup(): void;
}

/** Creates the repo: repository.yaml + ${ADDON}/ with every required file, scripts staged +x. */
export function createFixture(): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'homeiq-lint-'));
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  const write = (rel: string, content: string | Buffer, { executable = false } = {}) => {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    if (executable) chmodSync(abs, 0o755);
  };
  git('init', '-q');
  write('repository.yaml', '---\nname: HomeIQ\nurl: https://example.com/homeiq\nmaintainer: Me <me@example.com>\n');
  write(`${ADDON}/config.yaml`, CONFIG);
  write(`${ADDON}/translations/en.yaml`, EN);
  write(`${ADDON}/Dockerfile`, DOCKERFILE);
  for (const doc of ['DOCS.md', 'README.md']) write(`${ADDON}/${doc}`, `# ${doc}\n`);
  write(`${ADDON}/CHANGELOG.md`, '# Changelog\n\n## [1.0.0]\n\n- First version.\n');
  write(`${ADDON}/apparmor.txt`, `#include <tunables/global>\n\nprofile ${ADDON} flags=(attach_disconnected) {\n}\n`);
  write(`${ADDON}/icon.png`, pngHeader(128, 128));
  write(`${ADDON}/logo.png`, pngHeader(250, 100));
  write(`${ADDON}/rootfs/etc/services.d/test/run`, '#!/command/with-contenv bashio\nexec node /app/main.mjs\n', {
    executable: true,
  });
  write(`${ADDON}/rootfs/etc/services.d/test/finish`, '#!/command/with-contenv sh\nexec /run/s6/basedir/bin/halt\n', {
    executable: true,
  });
  git('add', '.');
  return {
    root,
    write,
    git,
    remove: (rel) => rmSync(join(root, rel)),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
