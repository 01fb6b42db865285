// translations/<lang>.yaml: the Supervisor's SCHEMA_APP_TRANSLATIONS shape and, for
// en.yaml, exact coverage of the config's schema keys (nested via `fields`) and ports (`network`).
import type { KeyPath, ProblemSink } from './problems.ts';
import { isObject, nestedSchema } from './schema-types.ts';

const ENTRY_KEYS = ['name', 'description', 'fields'];

function checkEntry(entry: unknown, path: KeyPath, sink: ProblemSink): void {
  const at = ['configuration', ...path];
  const label = path.join('.');
  if (!isObject(entry)) {
    sink.error('translations', `'${label}' must be a mapping with 'name' and 'description'`, at);
    return;
  }
  for (const key of Object.keys(entry)) {
    if (!ENTRY_KEYS.includes(key))
      sink.error('translations', `'${label}.${key}' is not a translation key (name, description, fields)`, [
        ...at,
        key,
      ]);
  }
  if (typeof entry['name'] !== 'string' || entry['name'].trim() === '') {
    sink.error('translations', `'${label}.name' is required and must be a string`, at);
  }
  if (typeof entry['description'] !== 'string' || entry['description'].trim() === '') {
    sink.error('translations', `'${label}.description' must be a non-empty string`, at);
  }
  if ('fields' in entry) {
    if (!isObject(entry['fields']))
      sink.error('translations', `'${label}.fields' must be a mapping`, [...at, 'fields']);
    else for (const [k, v] of Object.entries(entry['fields'])) checkEntry(v, [...path, 'fields', k], sink);
  }
}

/** Structural check of any translations file. */
export function checkTranslationShape(t: unknown, sink: ProblemSink): void {
  if (!isObject(t)) {
    sink.error('translations', 'must be a mapping with configuration: and network:', []);
    return;
  }
  for (const key of Object.keys(t)) {
    if (key !== 'configuration' && key !== 'network')
      sink.error('translations', `unknown top-level key '${key}'`, [key]);
  }
  if ('configuration' in t) {
    if (!isObject(t['configuration']))
      sink.error('translations', "'configuration' must be a mapping", ['configuration']);
    else for (const [k, v] of Object.entries(t['configuration'])) checkEntry(v, [k], sink);
  }
  if ('network' in t) {
    if (!isObject(t['network'])) sink.error('translations', "'network' must be a mapping", ['network']);
    else {
      for (const [k, v] of Object.entries(t['network'])) {
        if (typeof v !== 'string' || v.trim() === '')
          sink.error('translations', `'network.${k}' must be a non-empty string`, ['network', k]);
      }
    }
  }
}

function coverKeys(
  schema: Record<string, unknown>,
  entries: Record<string, unknown>,
  path: KeyPath,
  sink: ProblemSink,
): void {
  const at = (k: string): KeyPath => ['configuration', ...path, k];
  for (const [key, type] of Object.entries(schema)) {
    const entry = entries[key];
    const label = [...path, key].filter((p) => p !== 'fields').join('.');
    if (!isObject(entry)) {
      sink.error(
        'translations-coverage',
        `schema key '${label}' has no translation`,
        path.length ? ['configuration', ...path] : ['configuration'],
      );
      continue;
    }
    const sub = nestedSchema(type);
    if (sub) {
      coverKeys(sub, isObject(entry['fields']) ? entry['fields'] : {}, [...path, key, 'fields'], sink);
    } else if ('fields' in entry) {
      sink.error('translations-coverage', `'${label}' is not a nested option, it has no fields`, [
        ...at(key),
        'fields',
      ]);
    }
  }
  for (const key of Object.keys(entries)) {
    if (!Object.hasOwn(schema, key)) {
      const label = [...path, key].filter((p) => p !== 'fields').join('.');
      sink.error('translations-coverage', `'${label}' is translated but is not in the config schema`, at(key));
    }
  }
}

/** en.yaml must translate exactly the schema keys (nested too) and the ports. */
export function checkTranslationCoverage(t: unknown, config: unknown, sink: ProblemSink): void {
  if (!isObject(t) || !isObject(config)) return;
  const schema = isObject(config['schema']) ? config['schema'] : {};
  coverKeys(schema, isObject(t['configuration']) ? t['configuration'] : {}, [], sink);
  const ports = Object.keys(isObject(config['ports']) ? config['ports'] : {});
  const network = isObject(t['network']) ? t['network'] : {};
  for (const port of ports) {
    if (!Object.hasOwn(network, port))
      sink.error('translations-coverage', `port '${port}' has no network: description`, ['network']);
  }
  for (const port of Object.keys(network)) {
    if (!ports.includes(port))
      sink.error('translations-coverage', `network '${port}' is not a port of the add-on`, ['network', port]);
  }
}
