// A small stand-in for voluptuous, so malformed commands fail with the
// `invalid_format` messages HA's `humanize_error` produces
// ("<problem> @ data['key']. Got <python repr>").

export type Check = (value: unknown) => string | null;

export interface Field {
  required?: boolean;
  check: Check;
  default?: unknown;
}

export type Fields = Record<string, Field>;

/** Raised by handlers; the connection turns it into an error result. */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function pyRepr(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return String(value);
}

const isDict = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const str: Check = (v) => (typeof v === 'string' ? null : 'expected str');
export const bool: Check = (v) => (typeof v === 'boolean' ? null : 'expected bool');
export const dict: Check = (v) => (isDict(v) ? null : 'expected dict');
export const int: Check = (v) => (typeof v === 'number' && Number.isInteger(v) ? null : 'expected int');
export const positiveInt: Check = (v) => int(v) ?? ((v as number) >= 0 ? null : 'value must be at least 0');
export const literal =
  (expected: string): Check =>
  (v) =>
    v === expected ? null : 'not a valid value';
export const listOf =
  (inner: Check): Check =>
  (v) =>
    Array.isArray(v) ? (v.map(inner).find((e) => e !== null) ?? null) : 'expected list';
export const dictOfInt: Check = (v) =>
  isDict(v) ? (Object.values(v).some((x) => int(x) !== null) ? 'expected int' : null) : 'expected dict';
/** `cv.entity_ids`: a comma separated string or a list of strings. */
export const entityIds: Check = (v) =>
  typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')) ? null : 'expected a list';
export const anything: Check = () => null;

/**
 * Validates `msg` against `fields` (HA command schemas forbid extra keys) and
 * returns it with defaults applied. Throws `invalid_format` like HA does.
 */
export function validate(msg: Record<string, unknown>, fields: Fields): Record<string, unknown> {
  const errors: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(msg)) {
    const field = fields[key];
    if (!field) {
      errors.push(`extra keys not allowed @ data['${key}']. Got ${pyRepr(value)}`);
      continue;
    }
    const problem = field.check(value);
    if (problem) errors.push(`${problem} @ data['${key}']. Got ${pyRepr(value)}`);
    out[key] = value;
  }
  for (const [key, field] of Object.entries(fields)) {
    if (key in msg) continue;
    if (field.required) errors.push(`required key not provided @ data['${key}']. Got None`);
    else if (field.default !== undefined) out[key] = field.default;
  }
  if (errors.length) throw new CommandError('invalid_format', errors.sort().join('\n'));
  return out;
}

export { isDict };
