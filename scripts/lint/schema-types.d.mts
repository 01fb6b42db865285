import type { ProblemSink } from './problems.d.mts';
export const RE_SCHEMA_ELEMENT: RegExp;
export function isOptionalType(type: unknown): boolean;
export function checkSchemaTypes(schema: unknown, sink: ProblemSink): void;
export function nestedSchema(value: unknown): Record<string, unknown> | undefined;
