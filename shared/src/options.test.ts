import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadOptions, logLevelSchema, OptionsError, parseOptions } from './options.js';

const schema = z.object({
  log_level: logLevelSchema,
  retention_days: z.number().int().min(0).max(36500),
  batch: z.object({ max_lines: z.number().int().min(1) }),
});

describe('options', () => {
  it('returns typed, frozen options when valid', () => {
    const o = parseOptions(schema, { log_level: 'warning', retention_days: 30, batch: { max_lines: 10 } });
    expect(o.retention_days).toBe(30);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('names every bad option in one line', () => {
    let message = '';
    try {
      parseOptions(schema, { log_level: 'loud', retention_days: -1, batch: { max_lines: 0 } });
    } catch (err) {
      expect(err).toBeInstanceOf(OptionsError);
      message = (err as Error).message;
    }
    expect(message).not.toContain('\n');
    expect(message).toMatch(/'log_level'/);
    expect(message).toMatch(/'retention_days'/);
    expect(message).toMatch(/'batch\.max_lines'/);
    expect(message).toMatch(/Configuration tab/);
  });

  it('reads options.json from the data dir and explains a missing or broken file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'homeiq-opts-'));
    await expect(loadOptions(schema, dir)).rejects.toThrow(/options\.json \(ENOENT\)/);
    await writeFile(join(dir, 'options.json'), '{ nope');
    await expect(loadOptions(schema, dir)).rejects.toThrow(/not valid JSON/);
    await writeFile(
      join(dir, 'options.json'),
      JSON.stringify({ log_level: 'debug', retention_days: 1, batch: { max_lines: 5 } }),
    );
    await expect(loadOptions(schema, dir)).resolves.toMatchObject({ log_level: 'debug' });
  });
});
