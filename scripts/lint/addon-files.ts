// The files around an add-on's config.yaml: required docs and assets, AppArmor profile, icons,
// s6-overlay service scripts committed executable, Dockerfile, no deprecated build file.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkDockerfile } from './dockerfile.ts';
import { imageSizeProblem, readPngSize } from './png.ts';
import { type Problem, problemSink } from './problems.ts';

export const REQUIRED_FILES = [
  'Dockerfile',
  'DOCS.md',
  'README.md',
  'CHANGELOG.md',
  'apparmor.txt',
  'icon.png',
  'logo.png',
  'translations/en.yaml',
];
const BUILD_FILES = ['build.yaml', 'build.yml', 'build.json'];

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isShebang = (file: string): boolean =>
  existsSync(file) && readFileSync(file).subarray(0, 2).toString('latin1') === '#!';

/** s6 services under rootfs: { name, dir, longrun } for services.d and s6-rc.d layouts. */
function s6Services(rootfsFiles: string[], read: (rel: string) => string): Map<string, { longrun: boolean }> {
  const services = new Map<string, { longrun: boolean }>();
  for (const f of rootfsFiles) {
    let m = /^etc\/services\.d\/([^/]+)\/(run|finish)$/.exec(f);
    if (m?.[1]) services.set(`etc/services.d/${m[1]}`, { longrun: true });
    m = /^etc\/s6-overlay\/s6-rc\.d\/([^/]+)\/type$/.exec(f);
    if (m?.[1]) services.set(`etc/s6-overlay/s6-rc.d/${m[1]}`, { longrun: read(f).trim() === 'longrun' });
  }
  return services;
}

export interface AddonFiles {
  /** Repository root. */
  root: string;
  /** Add-on folder, repository-relative. */
  dir: string;
  /** The repository's files (listFiles). */
  files: string[];
  /** Git index modes (indexModes). */
  modes: Map<string, string>;
  /** The config's slug. */
  slug: string | undefined;
  /** Where problems go. */
  problems: Problem[];
}

export function checkAddonFiles({ root, dir, files, modes, slug, problems }: AddonFiles): void {
  const at = (rel: string): string => `${dir}/${rel}`;
  const abs = (rel: string): string => join(root, dir, rel);
  const folder = problemSink(dir, undefined, problems);

  for (const rel of REQUIRED_FILES) {
    if (!existsSync(abs(rel))) folder.error('required-file', `${rel} is missing`);
  }
  for (const rel of BUILD_FILES) {
    if (existsSync(abs(rel))) {
      problemSink(at(rel), undefined, problems).error(
        'build-file',
        `${rel} is deprecated (2026-04): move base image, args and labels into the Dockerfile`,
      );
    }
  }
  if (existsSync(abs('apparmor.txt')) && slug) {
    const re = new RegExp(`^\\s*profile\\s+${escapeRe(slug)}(?=[\\s{]|$)`, 'm');
    if (!re.test(readFileSync(abs('apparmor.txt'), 'utf8'))) {
      problemSink(at('apparmor.txt'), undefined, problems).error(
        'apparmor-profile',
        `no 'profile ${slug}' (the profile name must be the slug)`,
      );
    }
  }
  for (const kind of ['icon', 'logo'] as const) {
    const rel = `${kind}.png`;
    if (!existsSync(abs(rel))) continue;
    const problem = imageSizeProblem(kind, readPngSize(abs(rel)));
    if (problem) problemSink(at(rel), undefined, problems).error(kind, `${rel} ${problem}`);
  }
  if (existsSync(abs('Dockerfile'))) {
    checkDockerfile(readFileSync(abs('Dockerfile'), 'utf8'), problemSink(at('Dockerfile'), undefined, problems));
  }

  // rootfs: scripts executable in git, at least one longrun, each longrun with run + finish.
  const prefix = at('rootfs/');
  const rootfsFiles = files.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length));
  for (const rel of rootfsFiles) {
    const name = basename(rel);
    if (name !== 'run' && name !== 'finish' && !isShebang(abs(`rootfs/${rel}`))) continue;
    const path = `${prefix}${rel}`;
    const sink = problemSink(path, undefined, problems);
    const mode = modes.get(path);
    if (mode === undefined)
      sink.error('s6-exec', 'script is not tracked in git; add it with mode 100755 (git add --chmod=+x)');
    else if (mode !== '100755')
      sink.error('s6-exec', `script has git mode ${mode}; run git update-index --chmod=+x ${path}`);
  }
  const services = s6Services(rootfsFiles, (rel) => readFileSync(abs(`rootfs/${rel}`), 'utf8'));
  const longruns = [...services].filter(([, s]) => s.longrun).map(([d]) => d);
  if (longruns.length === 0) {
    folder.error(
      's6-service',
      'no s6-overlay longrun service under rootfs/etc/services.d/ or rootfs/etc/s6-overlay/s6-rc.d/',
    );
  }
  for (const svc of longruns) {
    for (const script of ['run', 'finish']) {
      if (!rootfsFiles.includes(`${svc}/${script}`)) {
        problemSink(`${prefix}${svc}`, undefined, problems).error('s6-service', `service has no '${script}' script`);
      }
    }
  }
}

/** config.* files the Supervisor would load as add-ons besides the expected `<addon>/config.yaml`. */
export function strayConfigs(files: string[]): string[] {
  return files.filter((f) => {
    const parts = f.split('/');
    if (!/^config\.(ya?ml|json)$/.test(parts.at(-1) ?? '')) return false;
    if (parts.some((p) => p.startsWith('.') || p === 'rootfs')) return false;
    return !(parts.length === 2 && parts[1] === 'config.yaml');
  });
}
