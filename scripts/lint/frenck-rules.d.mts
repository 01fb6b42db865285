import type { ProblemSink } from './problems.d.mts';
export function frenckConfigRules(config: unknown, sink: ProblemSink): void;
export function frenckBuildRules(build: unknown, sink: ProblemSink): void;
