import type { Problem } from './problems.d.mts';
import type { JsonSchema } from './addon-schema.d.mts';
export const EXPECTED_ADDONS: string[];
export interface ConfigLinter {
  config(text: string, file: string, problems: Problem[]): unknown;
  build(text: string, file: string, problems: Problem[]): void;
}
export function createConfigLinter(schemas: { config: JsonSchema; build: JsonSchema | undefined }): ConfigLinter;
export function lintTranslations(
  text: string,
  file: string,
  config: unknown,
  problems: Problem[],
  opts: { coverage: boolean },
): void;
export function lintRepositoryYaml(text: string, file: string, problems: Problem[]): void;
export function lintAddonRepository(
  root: string,
  opts?: { env?: NodeJS.ProcessEnv; expected?: string[] },
): { problems: Problem[]; addons: string[] };
