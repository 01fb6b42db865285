// `npm run lint`: Biome (formatter check, linter, import cycles), typecheck, add-on config lint, yamllint, hadolint,
// shellcheck.
// Prints one line per problem (`path:line rule: message`), PASS/FAIL per check and a summary;
// exits 1 if any check has an error. `npm run lint -- hadolint shellcheck` runs only those checks.
// The yamllint/hadolint/shellcheck binaries come from scripts/setup-tools.sh (pinned, cached venv).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintAddonRepository } from './lint/addon-config.mjs';
import { biome } from './lint/biome.mjs';
import { hadolint } from './lint/hadolint.mjs';
import { countErrors, formatProblem } from './lint/problems.mjs';
import { shellcheck } from './lint/shellcheck.mjs';
import { setupTools } from './lint/tools.mjs';
import { typecheck } from './lint/typecheck.mjs';
import { yamllint } from './lint/yamllint.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

let tools;
const withTools = (check) => async () => {
  tools ??= setupTools(root);
  let bin;
  try {
    bin = await tools;
  } catch (err) {
    return [{ file: 'scripts/setup-tools.sh', rule: 'setup-tools', message: err.message, level: 'error' }];
  }
  return check(root, bin);
};

const CHECKS = {
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

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !(n in CHECKS));
if (unknown.length > 0) {
  console.error(`unknown check(s): ${unknown.join(', ')}; known: ${Object.keys(CHECKS).join(', ')}`);
  process.exit(2);
}
const names = wanted.length > 0 ? wanted : Object.keys(CHECKS);
const pending = names.map((name) =>
  CHECKS[name]().catch((err) => [{ file: name, rule: 'crash', message: err?.stack ?? String(err), level: 'error' }]),
);

let failed = 0;
let errors = 0;
let warnings = 0;
for (const [i, name] of names.entries()) {
  const result = await pending[i];
  const { problems, notes = [] } = Array.isArray(result) ? { problems: result } : result;
  for (const note of notes) console.log(`${name}: ${note}`);
  for (const p of problems) console.log(formatProblem(p));
  const e = countErrors(problems);
  const w = problems.length - e;
  errors += e;
  warnings += w;
  if (e > 0) failed += 1;
  const counts = [e && `${e} error${e === 1 ? '' : 's'}`, w && `${w} warning${w === 1 ? '' : 's'}`].filter(Boolean);
  console.log(`${e > 0 ? 'FAIL' : 'PASS'} ${name}${counts.length ? ` (${counts.join(', ')})` : ''}`);
}
console.log(
  `lint: ${names.length - failed}/${names.length} checks passed, ${errors} error${errors === 1 ? '' : 's'}, ` +
    `${warnings} warning${warnings === 1 ? '' : 's'}`,
);
process.exitCode = failed > 0 ? 1 : 0;
