// `npm run lint`: Biome (formatter check, linter, import cycles), typecheck, add-on config lint, yamllint, hadolint,
// shellcheck.
// Prints one line per problem (`path:line rule: message`), PASS/FAIL per check and a summary;
// exits 1 if any check has an error. `npm run lint -- hadolint shellcheck` runs only those checks.
// The yamllint/hadolint/shellcheck binaries come from scripts/setup-tools.sh (pinned, cached venv).
import { dirname } from 'node:path';
import { lintAddonRepository } from './lint/addon-config.ts';
import { biome } from './lint/biome.ts';
import { hadolint } from './lint/hadolint.ts';
import { type CheckResult, countErrors, formatProblem, type Problem } from './lint/problems.ts';
import { shellcheck } from './lint/shellcheck.ts';
import { setupTools } from './lint/tools.ts';
import { typecheck } from './lint/typecheck.ts';
import { yamllint } from './lint/yamllint.ts';

type Check = () => Promise<CheckResult>;

function checks(root: string): Record<string, Check> {
  let tools: Promise<string> | undefined;
  const withTools =
    (check: (root: string, bin: string) => Promise<Problem[]>): Check =>
    async () => {
      tools ??= setupTools(root);
      let bin: string;
      try {
        bin = await tools;
      } catch (err) {
        return [
          { file: 'scripts/setup-tools.sh', rule: 'setup-tools', message: (err as Error).message, level: 'error' },
        ];
      }
      return check(root, bin);
    };
  return {
    biome: () => biome(root),
    typecheck: () => typecheck(root),
    'addon-config': async () => {
      const { problems, addons } = lintAddonRepository(root);
      return { problems, notes: [addons.length ? `add-ons: ${addons.join(', ')}` : 'no add-ons found'] };
    },
    yamllint: withTools(yamllint),
    hadolint: withTools(hadolint),
    shellcheck: withTools(shellcheck),
  };
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Runs the checks named in `wanted` (all when empty) in parallel, prints them in order; the exit code. */
async function main(root: string, wanted: string[]): Promise<number> {
  const all = checks(root);
  const unknown = wanted.filter((n) => !(n in all));
  if (unknown.length > 0) {
    console.error(`unknown check(s): ${unknown.join(', ')}; known: ${Object.keys(all).join(', ')}`);
    return 2;
  }
  const names = wanted.length > 0 ? wanted : Object.keys(all);
  const pending = names.map((name) =>
    (all[name] as Check)().catch((err: unknown): Problem[] => [
      { file: name, rule: 'crash', message: (err as Error)?.stack ?? String(err), level: 'error' },
    ]),
  );
  let failed = 0;
  let errors = 0;
  let warnings = 0;
  for (const [i, name] of names.entries()) {
    const result = await pending[i];
    const { problems, notes = [] } = Array.isArray(result) ? { problems: result } : (result ?? { problems: [] });
    for (const note of notes) console.log(`${name}: ${note}`);
    for (const p of problems) console.log(formatProblem(p));
    const e = countErrors(problems);
    const w = problems.length - e;
    errors += e;
    warnings += w;
    if (e > 0) failed += 1;
    const counts = [e && plural(e, 'error'), w && plural(w, 'warning')].filter(Boolean);
    console.log(`${e > 0 ? 'FAIL' : 'PASS'} ${name}${counts.length ? ` (${counts.join(', ')})` : ''}`);
  }
  console.log(
    `lint: ${names.length - failed}/${names.length} checks passed, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
  );
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(dirname(import.meta.dirname), process.argv.slice(2));
