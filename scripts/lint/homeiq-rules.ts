// HomeIQ's own config.yaml rules, stricter than the linter: options and schema agree, a quoted version,
// a pre-built image, aarch64 and amd64 only.
import type { KeyPath, ProblemSink } from './problems.ts';
import { checkSchemaTypes, isObject, isOptionalType, nestedSchema } from './schema-types.ts';
import type { YamlSource } from './yaml-source.ts';

const RE_SLUG = /^[-_.A-Za-z0-9]+$/;
const RE_IMAGE_PART = /^[a-z0-9{][a-z0-9.\-_{}]*$/;
const typeOf = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

/** Docker image reference without tag or digest, lowercase, Supervisor `docker_image()` components. */
export function imageProblem(image: unknown): string | undefined {
  if (typeof image !== 'string' || image === '') return 'must be a non-empty string';
  const parts = image.split('/');
  const last = parts.at(-1) ?? '';
  if (last.includes(':') || image.includes('@'))
    return `'${image}' must not contain a tag or digest (the Supervisor appends 'version')`;
  // The first component may be a registry host with a port (registry.example:5000).
  const checked = parts.length > 1 && /[.:]/.test(parts[0] ?? '') ? parts.slice(1) : parts;
  const bad = checked.find((p) => !RE_IMAGE_PART.test(p));
  return bad === undefined
    ? undefined
    : `'${image}' has an invalid component '${bad}' (lowercase letters, digits, . - _ {arch})`;
}

/** options ⊆ schema, and every schema key has a default unless its type is optional (`?`). */
function checkOptionsParity(
  options: Record<string, unknown>,
  schema: Record<string, unknown>,
  path: KeyPath,
  sink: ProblemSink,
): void {
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(schema, key)) {
      sink.error('options-schema', `option '${[...path, key].join('.')}' has no entry in 'schema'`, [
        'options',
        ...path,
        key,
      ]);
    }
  }
  for (const [key, type] of Object.entries(schema)) {
    const p = [...path, key];
    const optional = isOptionalType(typeOf(type));
    if (!Object.hasOwn(options, key)) {
      if (!optional) {
        sink.error(
          'options-schema',
          `schema key '${p.join('.')}' has no default in 'options' (add one, or null to make it mandatory, or mark the type optional with '?')`,
          ['schema', ...p],
        );
      }
      continue;
    }
    const value = options[key];
    if (optional && value !== null) {
      sink.error(
        'options-schema',
        `'${p.join('.')}' is optional ('?') but has a default in 'options'; drop one of them`,
        ['options', ...p],
      );
    }
    const sub = nestedSchema(type);
    if (!sub) continue;
    if (isObject(type) && isObject(value)) checkOptionsParity(value, sub, p, sink);
    if (Array.isArray(type) && Array.isArray(value)) {
      for (const [i, item] of value.entries()) if (isObject(item)) checkOptionsParity(item, sub, [...p, i], sink);
    }
  }
}

/** HomeIQ's rules on config.yaml as data; `source` gives the scalar styles (a quoted version). */
export function homeiqConfigRules(c: unknown, source: YamlSource, sink: ProblemSink): void {
  if (!isObject(c)) return;
  const { error } = sink;

  if ('version' in c && !['QUOTE_DOUBLE', 'QUOTE_SINGLE'].includes(source.scalarType(['version']) ?? '')) {
    error('version-quoted', '\'version\' must be a quoted string, e.g. version: "1.2.0"', ['version']);
  }
  if (typeof c['slug'] === 'string' && !RE_SLUG.test(c['slug'])) {
    error('slug', `'slug' must match ${RE_SLUG.source}`, ['slug']);
  }
  if (!('image' in c)) {
    error('image', "'image' is missing: without it the Supervisor builds the Dockerfile on the device", []);
  } else {
    const problem = imageProblem(c['image']);
    if (problem) error('image', `'image' ${problem}`, ['image']);
  }
  if (c['init'] !== false) {
    error(
      'init-false',
      "'init: false' is required: the s6-overlay base image must run as PID 1",
      'init' in c ? ['init'] : [],
    );
  }
  const arch = c['arch'];
  if (!Array.isArray(arch) || arch.length !== 2 || !arch.includes('aarch64') || !arch.includes('amd64')) {
    error('arch', "'arch' must be exactly [aarch64, amd64]", ['arch']);
  }
  const schema = isObject(c['schema']) ? c['schema'] : {};
  const options = isObject(c['options']) ? c['options'] : {};
  checkSchemaTypes(schema, sink);
  checkOptionsParity(options, schema, [], sink);
}
