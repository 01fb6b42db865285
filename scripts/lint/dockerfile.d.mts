import type { ProblemSink } from './problems.d.mts';
export interface DockerInstruction {
  line: number;
  instruction: string;
  args: string;
}
export function parseDockerfile(text: string): DockerInstruction[];
export function checkDockerfile(text: string, sink: ProblemSink): void;
export function finalStageEnv(text: string): Map<string, string>;
