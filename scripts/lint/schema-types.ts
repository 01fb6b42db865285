// The Supervisor's option type grammar: RE_SCHEMA_ELEMENT in supervisor/apps/options.py (2026-08),
// transcribed from Python (named groups dropped), plus the nesting the Supervisor can validate.
import type { KeyPath, ProblemSink } from './problems.ts';

export const RE_SCHEMA_ELEMENT = new RegExp(
  '^(?:' +
    '|bool' +
    '|email' +
    '|url' +
    '|port' +
    '|device(?:\\((?:subsystem=[a-z]+)\\))?' +
    '|str(?:\\((?:\\d+)?,(?:\\d+)?\\))?' +
    '|password(?:\\((?:\\d+)?,(?:\\d+)?\\))?' +
    '|int(?:\\((?:-?\\d+)?,(?:-?\\d+)?\\))?' +
    '|float(?:\\((?:-?\\d*\\.?\\d+)?,(?:-?\\d*\\.?\\d+)?\\))?' +
    '|match\\((?:.*)\\)' +
    '|list\\((?:.+)\\)' +
    ')\\??$',
);

/** A plain object (a YAML mapping), not an array or null. */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** True when the element type ends in `?` (the option may be left unset). */
export const isOptionalType = (type: unknown): boolean => typeof type === 'string' && type.endsWith('?');

/**
 * Checks every type string of a config `schema` against RE_SCHEMA_ELEMENT, and the shape:
 * top level `type | [type] | [{…}] | {…}`; inside a nested dict only `type | [type]` (depth two,
 * which is what AppOptions validates). Reports via sink.error with key paths under `schema`.
 */
export function checkSchemaTypes(schema: unknown, sink: ProblemSink): void {
  if (!isObject(schema)) return;
  const element = (type: unknown, path: KeyPath): void => {
    if (typeof type !== 'string') {
      sink.error('schema-type', `'${path.join('.')}' must be a type string, found ${JSON.stringify(type)}`, [
        'schema',
        ...path,
      ]);
    } else if (!RE_SCHEMA_ELEMENT.test(type) || type.replace(/\?$/, '') === '') {
      sink.error('schema-type', `'${path.join('.')}' has type '${type}', which the Supervisor does not accept`, [
        'schema',
        ...path,
      ]);
    }
  };
  const nested = (dict: Record<string, unknown>, path: KeyPath): void => {
    for (const [key, value] of Object.entries(dict)) {
      const p = [...path, key];
      if (Array.isArray(value)) {
        if (value.length !== 1)
          sink.error('schema-type', `'${p.join('.')}' list must hold exactly one type`, ['schema', ...p]);
        else element(value[0], [...p, 0]);
      } else if (isObject(value)) {
        sink.error('schema-type', `'${p.join('.')}' nests deeper than the Supervisor supports (two levels)`, [
          'schema',
          ...p,
        ]);
      } else element(value, p);
    }
  };
  for (const [key, value] of Object.entries(schema)) {
    if (Array.isArray(value)) {
      if (value.length !== 1) sink.error('schema-type', `'${key}' list must hold exactly one type`, ['schema', key]);
      else if (isObject(value[0])) nested(value[0], [key, 0]);
      else element(value[0], [key, 0]);
    } else if (isObject(value)) nested(value, [key]);
    else element(value, [key]);
  }
}

/** The nested dict of a schema value (`{…}` or `[{…}]`), if any. */
export function nestedSchema(value: unknown): Record<string, unknown> | undefined {
  if (isObject(value)) return value;
  if (Array.isArray(value) && isObject(value[0])) return value[0];
  return undefined;
}
