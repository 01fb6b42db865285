import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { parseJson } from './json-text.js';

/** The `log_level` option every add-on has, with the Supervisor's level names. */
export const logLevelSchema = z.enum(['trace', 'debug', 'info', 'notice', 'warning', 'error', 'fatal']);
export type LogLevelOption = z.infer<typeof logLevelSchema>;

export class OptionsError extends Error {
  override readonly name = 'OptionsError';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(options)';
  return `'${key}' ${issue.message}`;
}

/**
 * Validates already-parsed options. Every problem is reported in one line that names the option,
 * so the user can fix all of them in one visit to the Configuration tab.
 */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): Readonly<z.infer<S>> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue).join('; ');
    throw new OptionsError(`Invalid add-on options: ${problems}. Fix them in the add-on's Configuration tab.`);
  }
  return Object.freeze(result.data);
}

/** Reads `<dataDir>/options.json` (written by the Supervisor from the add-on schema) and validates it. */
export async function loadOptions<S extends z.ZodType>(schema: S, dataDir: string): Promise<Readonly<z.infer<S>>> {
  const file = join(dataDir, 'options.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new OptionsError(`Cannot read ${file} (${code}); the Supervisor writes it when the add-on starts.`);
  }
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (err) {
    throw new OptionsError(`${file} is not valid JSON (${(err as Error).message}).`);
  }
  return parseOptions(schema, raw);
}
