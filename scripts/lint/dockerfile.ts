// Dockerfile checks hadolint cannot express: the final stage is FROM a pinned
// ghcr.io/home-assistant base image, and it has a HEALTHCHECK and the io.hass.* labels.

import type { ProblemSink } from './problems.ts';

export interface DockerInstruction {
  /** 1-based line where the instruction starts. */
  line: number;
  /** Upper case: FROM, RUN … */
  instruction: string;
  args: string;
}

/** Instructions with their 1-based start line; continuation lines joined, comments dropped. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let buf = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trimStart();
    if (buf === '' && (line === '' || line.startsWith('#'))) return;
    if (buf !== '' && line.startsWith('#')) return; // comment inside a continuation
    if (buf === '') start = i + 1;
    if (/\\\s*$/.test(raw)) {
      buf += raw.replace(/\\\s*$/, ' ');
      return;
    }
    buf += raw;
    const m = /^\s*(\S+)\s*(.*)$/s.exec(buf);
    if (m) out.push({ line: start, instruction: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim() });
    buf = '';
  });
  return out;
}

/** Splits `a=1 b="x y" c='z'` (or legacy `key value`) into pairs. */
function labelPairs(args: string): [string, string][] {
  const tokens = args.match(/(?:[^\s"']+|"(?:\\.|[^"\\])*"|'[^']*')+/g) ?? [];
  const unquote = (s: string): string => s.replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1');
  if (tokens.length > 0 && !(tokens[0] ?? '').includes('=')) {
    return [[unquote(tokens[0] ?? ''), unquote(tokens.slice(1).join(' '))]];
  }
  return tokens.map((t): [string, string] => {
    const eq = t.indexOf('=');
    return [unquote(t.slice(0, eq)), unquote(t.slice(eq + 1))];
  });
}

const substitute = (s: string, vars: Map<string, string>): string =>
  s.replace(
    /\$\{(\w+)(?::?[-+][^}]*)?\}|\$(\w+)/g,
    (all, a: string | undefined, b: string | undefined) => vars.get(a ?? b ?? '') ?? all,
  );

const HA_BASE = /^ghcr\.io\/home-assistant\/base(?:-python|-debian|-ubuntu)?(?::([\w.-]+))?(@sha256:[0-9a-f]{64})?$/;

function imageTagProblem(image: string): string | undefined {
  if (image === 'scratch') return undefined;
  if (image.includes('$')) return `'${image}' cannot be resolved (give the ARG a default)`;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const last = image.split('/').at(-1) ?? '';
  if (!last.includes(':')) return `'${image}' has no tag; pin one`;
  if (last.endsWith(':latest')) return `'${image}' uses 'latest'; pin a version`;
  return undefined;
}

export function checkDockerfile(text: string, sink: ProblemSink): void {
  const instructions = parseDockerfile(text);
  const globalArgs = new Map<string, string>();
  const stages: { line: number; image: string; alias: string | undefined; body: DockerInstruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.instruction === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = substitute(words[0] ?? '', globalArgs);
      const alias = words[1]?.toUpperCase() === 'AS' ? words[2]?.toLowerCase() : undefined;
      stages.push({ line: ins.line, image, alias, body: [] });
    } else if (stages.length === 0 && ins.instruction === 'ARG') {
      const m = /^(\w+)(?:=(.*))?$/.exec(ins.args);
      if (m?.[1] && m[2] !== undefined) globalArgs.set(m[1], m[2].replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'));
    } else {
      stages.at(-1)?.body.push(ins);
    }
  }
  const final = stages.at(-1);
  if (!final) {
    sink.error('dockerfile-from', 'no FROM instruction', 1);
    return;
  }
  const aliases = new Set(stages.map((s) => s.alias).filter(Boolean));
  for (const stage of stages) {
    if (aliases.has(stage.image.toLowerCase())) continue;
    const problem = imageTagProblem(stage.image);
    if (problem) sink.error('dockerfile-from', `FROM ${problem}`, stage.line);
  }
  if (!HA_BASE.test(final.image)) {
    sink.error(
      'dockerfile-from',
      `final stage must be FROM ghcr.io/home-assistant/base:<pinned tag>, found '${final.image}'`,
      final.line,
    );
  }
  const health = final.body.find((i) => i.instruction === 'HEALTHCHECK');
  if (!health || /^NONE\b/i.test(health.args)) {
    sink.error(
      'dockerfile-healthcheck',
      'final stage needs a HEALTHCHECK (the Supervisor watchdog relies on it)',
      final.line,
    );
  }
  const labels = new Map<string, string>();
  for (const ins of final.body) {
    if (ins.instruction === 'LABEL') for (const [k, v] of labelPairs(ins.args)) labels.set(k, v);
  }
  for (const key of ['io.hass.version', 'io.hass.type', 'io.hass.arch']) {
    if (!labels.has(key)) sink.error('dockerfile-labels', `final stage has no LABEL ${key}`, final.line);
  }
  const type = labels.get('io.hass.type');
  if (type !== undefined && type !== 'app' && type !== 'addon') {
    sink.error(
      'dockerfile-labels',
      `LABEL io.hass.type must be "app" (or legacy "addon"), found "${type}"`,
      final.line,
    );
  }
}

/** The environment the final stage's ENV instructions give the image, in order (later ones win). */
export function finalStageEnv(text: string): Map<string, string> {
  const instructions = parseDockerfile(text);
  const lastFrom = instructions.findLastIndex((i) => i.instruction === 'FROM');
  const env = new Map<string, string>();
  for (const ins of instructions.slice(lastFrom + 1))
    if (ins.instruction === 'ENV') for (const [k, v] of labelPairs(ins.args)) env.set(k, v);
  return env;
}
