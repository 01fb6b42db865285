import type { ProblemSink } from './problems.d.mts';
export type JsonSchema = Record<string, unknown>;
export function resolveSchemaPath(env?: NodeJS.ProcessEnv): string;
export function loadLinterSchemas(env?: NodeJS.ProcessEnv): {
  configPath: string;
  config: JsonSchema;
  build: JsonSchema | undefined;
};
export function pyEqual(a: unknown, b: unknown): boolean;
export function compileLinterSchema(schema: JsonSchema): (data: unknown, sink: ProblemSink) => void;
