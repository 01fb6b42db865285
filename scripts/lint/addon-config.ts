// The add-on config check: every top-level <addon>/config.yaml (linter schema + lint.py rules +
// HomeIQ rules), its translations and files, repository.yaml, and stray config files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkAddonFiles, strayConfigs } from './addon-files.ts';
import { changelogProblem } from './changelog.ts';
import { compileLinterSchema, type LinterSchemas, loadLinterSchemas } from './addon-schema.ts';
import { frenckBuildRules, frenckConfigRules } from './frenck-rules.ts';
import { listFiles, indexModes } from './git-files.ts';
import { homeiqConfigRules } from './homeiq-rules.ts';
import { type Problem, problemSink } from './problems.ts';
import { isObject } from './schema-types.ts';
import { checkTranslationCoverage, checkTranslationShape } from './translations.ts';
import { parseYamlSource } from './yaml-source.ts';

export const EXPECTED_ADDONS = ['homeiq-ingestor', 'homeiq-influxdb', 'homeiq-admin'];

/** Parses `text` as YAML into a sink for `file`; reports syntax errors. */
function parse(text: string, file: string, problems: Problem[]) {
  const source = parseYamlSource(text);
  const sink = problemSink(file, source.lineOf, problems);
  for (const e of source.errors) sink.error('yaml', e.message, e.line);
  return { source, sink };
}

export interface ConfigLinter {
  /** Lints a config file text; returns the parsed config (undefined on YAML errors). */
  config(text: string, file: string, problems: Problem[]): unknown;
  build(text: string, file: string, problems: Problem[]): void;
}

/** Compiles the linter schemas once; lints config/build file texts. */
export function createConfigLinter(schemas: Pick<LinterSchemas, 'config' | 'build'>): ConfigLinter {
  const validateConfig = compileLinterSchema(schemas.config);
  const validateBuild = schemas.build ? compileLinterSchema(schemas.build) : undefined;
  return {
    config(text, file, problems) {
      const { source, sink } = parse(text, file, problems);
      if (source.data === undefined) return undefined;
      validateConfig(source.data, sink);
      frenckConfigRules(source.data, sink);
      homeiqConfigRules(source.data, source, sink);
      return source.data;
    },
    build(text, file, problems) {
      const { source, sink } = parse(text, file, problems);
      if (source.data === undefined) return;
      validateBuild?.(source.data, sink);
      frenckBuildRules(source.data, sink);
    },
  };
}

/** Lints one translations file; en.yaml is also checked for coverage of `config`. */
export function lintTranslations(
  text: string,
  file: string,
  config: unknown,
  problems: Problem[],
  { coverage }: { coverage: boolean },
): void {
  const { source, sink } = parse(text, file, problems);
  if (source.data === undefined) return;
  checkTranslationShape(source.data, sink);
  if (coverage) checkTranslationCoverage(source.data, config, sink);
}

/** repository.yaml: name, url, maintainer (SCHEMA_REPOSITORY_CONFIG + our "all three"). */
export function lintRepositoryYaml(text: string, file: string, problems: Problem[]): void {
  const { source, sink } = parse(text, file, problems);
  const r = source.data;
  if (r === undefined) return;
  if (!isObject(r)) {
    sink.error('repository', 'must be a mapping with name, url and maintainer');
    return;
  }
  for (const key of Object.keys(r)) {
    if (!['name', 'url', 'maintainer'].includes(key)) sink.error('repository', `unknown key '${key}'`, [key]);
  }
  for (const key of ['name', 'url', 'maintainer']) {
    const value = r[key];
    if (typeof value !== 'string' || value.trim() === '')
      sink.error('repository', `'${key}' must be a non-empty string`, [key]);
  }
  if (typeof r['url'] === 'string' && !URL.canParse(r['url'])) sink.error('repository', `'url' is not a URL`, ['url']);
}

function lintAddon({
  root,
  dir,
  files,
  modes,
  linter,
  problems,
}: {
  root: string;
  dir: string;
  files: string[];
  modes: Map<string, string>;
  linter: ConfigLinter;
  problems: Problem[];
}): void {
  const read = (rel: string): string => readFileSync(join(root, dir, rel), 'utf8');
  const config = linter.config(read('config.yaml'), `${dir}/config.yaml`, problems);
  const slug = isObject(config) && typeof config['slug'] === 'string' ? config['slug'] : undefined;
  if (slug !== undefined && slug !== dir) {
    const source = parseYamlSource(read('config.yaml'));
    problemSink(`${dir}/config.yaml`, source.lineOf, problems).error(
      'slug',
      `'slug' is '${slug}' but the folder is '${dir}'`,
      ['slug'],
    );
  }
  for (const f of files.filter((x) => x.startsWith(`${dir}/translations/`))) {
    const name = f.slice(`${dir}/translations/`.length);
    if (!/^[^/]+\.(ya?ml|json)$/.test(name)) continue;
    lintTranslations(readFileSync(join(root, f), 'utf8'), f, config, problems, { coverage: name === 'en.yaml' });
  }
  for (const rel of ['build.yaml', 'build.yml', 'build.json']) {
    if (existsSync(join(root, dir, rel))) linter.build(read(rel), `${dir}/${rel}`, problems);
  }
  if (isObject(config) && existsSync(join(root, dir, 'CHANGELOG.md'))) {
    const problem = changelogProblem(read('CHANGELOG.md'), config['version']);
    if (problem)
      problemSink(`${dir}/CHANGELOG.md`, undefined, problems).error('changelog', problem.message, problem.line);
  }
  checkAddonFiles({ root, dir, files, modes, slug, problems });
}

/** Runs the whole config check on a repository. */
export function lintAddonRepository(
  root: string,
  { env = process.env, expected = EXPECTED_ADDONS }: { env?: NodeJS.ProcessEnv; expected?: string[] } = {},
): { problems: Problem[]; addons: string[] } {
  const problems: Problem[] = [];
  let linter: ConfigLinter;
  try {
    linter = createConfigLinter(loadLinterSchemas(env));
  } catch (err) {
    problemSink('config.schema.json', undefined, problems).error('schema-missing', (err as Error).message);
    return { problems, addons: [] };
  }
  const files = listFiles(root);
  const modes = indexModes(root);
  const addons = [
    ...new Set(files.filter((f) => /^[^/.][^/]*\/config\.yaml$/.test(f)).map((f) => f.split('/')[0] ?? '')),
  ];
  for (const dir of expected) {
    if (!addons.includes(dir))
      problemSink(dir, undefined, problems).error('addon-missing', `expected add-on folder has no config.yaml`);
  }
  for (const dir of addons) lintAddon({ root, dir, files, modes, linter, problems });
  for (const f of strayConfigs(files)) {
    problemSink(f, undefined, problems).error(
      'stray-config',
      'the Supervisor would try to load this as an add-on; rename it (only <addon>/config.yaml, rootfs/ and dot-folders are allowed)',
    );
  }
  if (existsSync(join(root, 'repository.yaml'))) {
    lintRepositoryYaml(readFileSync(join(root, 'repository.yaml'), 'utf8'), 'repository.yaml', problems);
  } else {
    problemSink('repository.yaml', undefined, problems).error(
      'repository',
      'missing: the Supervisor rejects a repository without it',
    );
  }
  return { problems, addons };
}
