import type { ProblemSink } from './problems.d.mts';
import type { YamlSource } from './yaml-source.d.mts';
export function imageProblem(image: unknown): string | undefined;
export function homeiqConfigRules(config: unknown, source: YamlSource, sink: ProblemSink): void;
