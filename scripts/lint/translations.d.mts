import type { ProblemSink } from './problems.d.mts';
export function checkTranslationShape(translations: unknown, sink: ProblemSink): void;
export function checkTranslationCoverage(translations: unknown, config: unknown, sink: ProblemSink): void;
