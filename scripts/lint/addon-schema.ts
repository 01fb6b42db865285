// JSON-schema validation with the community add-on linter's schemas (vendored in vendor/addon-linter/, MIT),
// plus the linter's "property equals its schema default" rule.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import type { KeyPath, Report, ProblemSink } from './problems.ts';
import { isObject } from './schema-types.ts';

export type JsonSchema = Record<string, unknown>;
export interface LinterSchemas {
  configPath: string;
  config: JsonSchema;
  build: JsonSchema | undefined;
}

/** The vendored config.schema.json, or `$HOMEIQ_ADDON_SCHEMA` (to try another release of the schemas). */
export function resolveSchemaPath(env: NodeJS.ProcessEnv = process.env): string {
  return env['HOMEIQ_ADDON_SCHEMA']
    ? resolve(env['HOMEIQ_ADDON_SCHEMA'])
    : resolve(import.meta.dirname, 'vendor', 'addon-linter', 'config.schema.json');
}

/** Loads config.schema.json and its sibling build.schema.json; throws a readable error if missing. */
export function loadLinterSchemas(env: NodeJS.ProcessEnv = process.env): LinterSchemas {
  const configPath = resolveSchemaPath(env);
  if (!existsSync(configPath)) {
    throw new Error(
      `add-on linter schema not found at ${configPath}; restore scripts/lint/vendor/addon-linter/ from git, ` +
        'or point HOMEIQ_ADDON_SCHEMA at a config.schema.json that exists',
    );
  }
  const buildPath = join(dirname(configPath), 'build.schema.json');
  return {
    configPath,
    config: JSON.parse(readFileSync(configPath, 'utf8')),
    build: existsSync(buildPath) ? JSON.parse(readFileSync(buildPath, 'utf8')) : undefined,
  };
}

// The schemas were written for Python's `re`: translate its named groups for JS.
const pyRegExp = Object.assign(
  (pattern: string, flags: string) => new RegExp(pattern.replace(/\(\?P</g, '(?<'), flags),
  { code: 'pyRegExp' },
);

/** Python `==` on YAML data (True == 1, 10.0 == 10), as lint.py compares against defaults. */
export function pyEqual(a: unknown, b: unknown): boolean {
  const num = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';
  if (num(a) && num(b)) return Number(a) === Number(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => pyEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && pyEqual(a[k], b[k]));
  }
  return a === b;
}

function reportDefaults(schema: unknown, data: unknown, path: KeyPath, report: Report): void {
  const properties = isObject(schema) ? schema['properties'] : undefined;
  if (!isObject(properties) || !isObject(data)) return;
  for (const [key, sub] of Object.entries(properties)) {
    if (!Object.hasOwn(data, key) || !isObject(sub)) continue;
    if ('default' in sub && pyEqual(data[key], sub['default'])) {
      report('default-value', `'${key}' should be removed, it uses a default value`, [...path, key]);
    }
    reportDefaults(sub, data[key], [...path, key], report);
  }
}

const pointerToPath = (pointer: string): KeyPath =>
  pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/**
 * Compiles a schema (draft-07, allErrors, strict false, formats not enforced, like lint.py's
 * Draft7Validator without a format checker). The returned function reports into a ProblemSink.
 */
export function compileLinterSchema(schema: JsonSchema): (data: unknown, sink: ProblemSink) => void {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, code: { regExp: pyRegExp } });
  const validate = ajv.compile(schema);
  return (data, sink) => {
    if (!validate(data)) {
      const errors = validate.errors ?? [];
      // Fold the branch errors of anyOf/oneOf into one line per combinator.
      const combinators = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
      const owner = (e: ErrorObject): ErrorObject | undefined =>
        combinators.find(
          (c) => c !== e && e.schemaPath.startsWith(`${c.schemaPath}/`) && e.instancePath.startsWith(c.instancePath),
        );
      const seen = new Set<string>();
      for (const e of errors) {
        if (owner(e)) continue;
        const path = pointerToPath(e.instancePath);
        const label = () => `'${path.length ? path.join('.') : 'config'}'`;
        let message = `${label()} ${e.message}`;
        if (e.keyword === 'additionalProperties') {
          path.push(String(e.params['additionalProperty']));
          message = `${label()} is not allowed (unknown key)`;
        } else if (e.keyword === 'enum') {
          message += ` (${(e.params['allowedValues'] as unknown[]).join(', ')})`;
        } else if (combinators.includes(e)) {
          const details = [...new Set(errors.filter((d) => owner(d) === e).map((d) => d.message))];
          message = `${label()} matches none of the allowed forms: ${details.join('; ')}`;
        }
        if (seen.has(message)) continue;
        seen.add(message);
        sink.error('schema', message, path);
      }
    }
    reportDefaults(schema, data, [], sink.error);
  };
}
