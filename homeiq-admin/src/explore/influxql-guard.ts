/**
 * What the query console refuses in InfluxQL, read from the query's tokens as InfluxDB's scanner reads them
 * (InfluxQL has no parse endpoint to ask, unlike Flux in query-guard.ts). Pure.
 *
 * - Statements that are not `SELECT`, `SHOW` or `EXPLAIN`, and `INTO`: the console only reads. The token cannot
 *   write anyway; this says so before InfluxDB has to.
 * - Functions whose answer InfluxDB computes from every point it read, held in memory at once, outside the memory
 *   limit it keeps for a Flux query. On a real influxd (`npm run bench -- influxql-memory`), `percentile()`,
 *   `median()`, `mode()` and `stddev()` over 1.6 million points grew it by about 250 MiB, `count(distinct())` by
 *   117 MiB; `holt_winters()` has the whole series in memory and keeps fitting it for minutes after the query is
 *   stopped. Flux computes the same within the limit, so the refusal names the Flux function to use.
 * - Functions that set memory aside for as many points as their count before reading one (`top`, `bottom`,
 *   `sample`, `moving_average`, and the two Kaufman and the Chande functions' period): the count must be written
 *   as a plain number no larger than the console's row limit. `top("value", 1000000000)` makes influxd ask for
 *   88 GB at once and exit.
 */
import { QUERY_LIMITS } from '../api-types.js';

export interface InfluxqlToken {
  /**
   * `word`: an identifier or keyword as written; `quoted`: a `"…"` identifier, unescaped; `number`: digits, with a
   * fraction or a duration unit; `string` and `regex`: `'…'` and `/…/` as written; `symbol`: one other character.
   */
  kind: 'word' | 'quoted' | 'number' | 'string' | 'regex' | 'symbol';
  text: string;
}

/** After these words an InfluxQL operand may be a regular expression (`FROM /…/`); elsewhere `/` divides. */
const BEFORE_REGEX = new Set(['SELECT', 'FROM', 'BY']);

/**
 * The keywords that start a clause, and whether it is an expression (where InfluxDB reads `.` then `/` as a name
 * and a division) or names things (a measurement: `.` then `/` starts its pattern).
 */
const CLAUSES: ReadonlyMap<string, boolean> = new Map([
  ...['SELECT', 'WHERE', 'BY'].map((k): [string, boolean] => [k, true]),
  ...['FROM', 'INTO', 'WITH', 'ON', 'ORDER', 'LIMIT', 'OFFSET', 'SLIMIT', 'SOFFSET', 'SHOW', 'EXPLAIN'].map(
    (k): [string, boolean] => [k, false],
  ),
]);

const isLetter = (c: string | undefined): boolean => c !== undefined && /[A-Za-z]/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** The end of the `'…'` or `"…"` starting at `i`; a backslash escapes the next character. */
function quotedEnd(q: string, i: number): number {
  const quote = q[i];
  let j = i + 1;
  while (j < q.length && q[j] !== quote) j += q[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** A quoted identifier's name as InfluxDB reads it (`\"`, `\'`, `\\`, `\n`). */
const quotedName = (body: string): string => body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/**
 * InfluxQL's tokens in order, whitespace and comments left out. Strings, quoted identifiers, comments and regular
 * expressions are read whole, as InfluxDB's scanner does, so a value, name or pattern may hold any word, and a
 * quote inside a pattern starts no string. A `/` starts a regular expression where InfluxDB's parser reads one:
 * a field, a measurement, a dimension, a function's argument or the right side of `=~`, `!~` (after SELECT,
 * FROM, BY, `,`, `(`, `=`, `~`), and after `.` where a measurement is named (`"db"."rp"./cpu/`); elsewhere it
 * divides: in a field, an argument or a condition `"value"./2` is "value" / 2 for InfluxDB.
 */
export function* influxqlTokens(q: string): Generator<InfluxqlToken> {
  let regex = false;
  let i = 0;
  // Per parenthesis depth: whether its clause is an expression (fields, WHERE, GROUP BY, a call's arguments).
  const expression: boolean[] = [false];
  const emit = (kind: InfluxqlToken['kind'], end: number, text = q.slice(i, end)): InfluxqlToken => {
    i = end;
    const word = kind === 'word' ? text.toUpperCase() : undefined;
    const clause = word === undefined ? undefined : CLAUSES.get(word);
    if (clause !== undefined) expression[expression.length - 1] = clause;
    if (kind === 'symbol' && text === '(') expression.push(expression.at(-1) as boolean);
    else if (kind === 'symbol' && text === ')' && expression.length > 1) expression.pop();
    else if (kind === 'symbol' && text === ';') expression.splice(0, expression.length, false);
    regex =
      (word !== undefined && BEFORE_REGEX.has(word)) ||
      (kind === 'symbol' && ',(=~'.includes(text)) ||
      (kind === 'symbol' && text === '.' && !expression.at(-1));
    return { kind, text };
  };
  while (i < q.length) {
    const c = q[i] as string;
    if (c === "'" || c === '"') {
      const end = quotedEnd(q, i);
      yield c === "'" ? emit('string', end) : emit('quoted', end, quotedName(q.slice(i + 1, end - 1)));
    } else if (q.startsWith('--', i)) {
      const end = q.indexOf('\n', i);
      i = end === -1 ? q.length : end + 1;
    } else if (q.startsWith('/*', i)) {
      const end = q.indexOf('*/', i + 2);
      i = end === -1 ? q.length : end + 2;
    } else if (c === '/' && regex) {
      // Up to the next `/` that is not escaped (`\/`), or the line's end (InfluxDB refuses that).
      let j = i + 1;
      while (j < q.length && q[j] !== '/' && q[j] !== '\n') j += q[j] === '\\' && q[j + 1] === '/' ? 2 : 1;
      yield emit('regex', j + 1);
    } else if (isLetter(c) || c === '_') {
      let j = i + 1;
      while (isLetter(q[j]) || isDigit(q[j]) || q[j] === '_') j++;
      yield emit('word', j);
    } else if (isDigit(c) || (c === '.' && isDigit(q[i + 1]))) {
      // Digits with a fraction, or digits and a duration's unit (`10s`, `5µs`): one token each, as InfluxDB's.
      // A full stop after digits is the number's even without digits after it (`1./2` is 1 divided by 2 for
      // InfluxDB): read as a `.`, it would make the `/` open a pattern that hides what follows from the guard.
      let j = i;
      while (isDigit(q[j])) j++;
      if (q[j] === '.') {
        j++;
        while (isDigit(q[j])) j++;
      } else if (isLetter(q[j]) || q[j] === 'µ') while (isLetter(q[j]) || isDigit(q[j]) || q[j] === 'µ') j++;
      yield emit('number', j);
    } else if (/\s/.test(c)) i++;
    else yield emit('symbol', i + 1);
  }
}

/** The InfluxQL statements that read. */
const READ_STATEMENTS: ReadonlySet<string> = new Set(['SELECT', 'SHOW', 'EXPLAIN']);

/** Functions InfluxDB computes from every point held in memory at once, and what to use in Flux instead. */
const HOLDS_EVERY_POINT: ReadonlyMap<string, string> = new Map([
  ['percentile', "Flux's quantile(q: 0.95)"],
  ['median', "Flux's median()"],
  ['mode', "Flux's mode()"],
  ['stddev', "Flux's stddev()"],
  ['distinct', "Flux's distinct() (and distinct() |> count()), or count_hll(sum_hll(…)) for an estimated count"],
  ['holt_winters', "Flux's holtWinters()"],
  ['holt_winters_with_fit', "Flux's holtWinters(withFit: true)"],
]);

/** Functions that set memory aside for a count of points given as an argument: that argument's place. */
const COUNTED: ReadonlyMap<string, 'last' | 1> = new Map<string, 'last' | 1>([
  ['top', 'last'],
  ['bottom', 'last'],
  ['sample', 'last'],
  ['moving_average', 1],
  ['chande_momentum_oscillator', 1],
  ['kaufmans_efficiency_ratio', 1],
  ['kaufmans_adaptive_moving_average', 1],
]);

/** The largest count those functions may be given: no answer shows more rows. */
export const MAX_INFLUXQL_COUNT = QUERY_LIMITS.maxRows;

/**
 * A function's name as InfluxDB looks it up: lower case, one character at a time as Go's `strings.ToLower` does,
 * so `"PERCENTİLE"` (a dotted capital I) and a Kelvin sign for `k` name the functions they look like.
 */
function functionName(t: InfluxqlToken): string | undefined {
  if (t.kind !== 'word' && t.kind !== 'quoted') return undefined;
  let name = '';
  for (const ch of t.text) name += String.fromCodePoint(ch.toLowerCase().codePointAt(0) as number);
  return name;
}

function holdsEveryPoint(name: string): string {
  if (name === 'holt_winters' || name === 'holt_winters_with_fit')
    return `the console does not run InfluxQL's ${name}(): InfluxDB holds the whole series in memory for it and keeps fitting it long after the query is stopped; use ${HOLDS_EVERY_POINT.get(name)}, which stops with the query`;
  return `the console does not run InfluxQL's ${name}(): InfluxDB holds every point it reads in memory for it, past the memory limit it keeps for a query; use ${HOLDS_EVERY_POINT.get(name)}, which keeps to that limit`;
}

interface Call {
  name: string | undefined;
  /** Each argument's tokens; a nested parenthesis stands as its `(`. */
  args: InfluxqlToken[][];
}

/** Why a call's count is refused, or undefined: the count must be one plain number within the limit. */
function refusedCount(call: Call): string | undefined {
  const place = call.name === undefined ? undefined : COUNTED.get(call.name);
  if (place === undefined) return undefined;
  const arg = place === 'last' ? (call.args.length > 1 ? call.args.at(-1) : undefined) : call.args[place];
  // Without that argument InfluxDB refuses the call itself.
  if (arg === undefined) return undefined;
  const [only] = arg;
  const n = arg.length === 1 && only?.kind === 'number' && /^\d+$/.test(only.text) ? Number(only.text) : Number.NaN;
  if (n <= MAX_INFLUXQL_COUNT) return undefined;
  return `the console runs InfluxQL's ${call.name}() with a count of at most ${MAX_INFLUXQL_COUNT}, written as a plain number: InfluxDB sets aside memory for that many points before it reads one (a count of 1000000000 makes it run out of memory and exit)`;
}

/**
 * Why the console will not run this InfluxQL, or undefined when it may: every statement reads, and calls no
 * function that holds every point it reads (nor DISTINCT) or a count above the limit. A call is a name, bare or
 * quoted, before `(` (InfluxDB reads `"percentile"(…)` as the function too).
 */
export function refusedInfluxql(q: string): string | undefined {
  let first = true;
  let prev: InfluxqlToken | undefined;
  const calls: Call[] = [];
  // Calls left open are InfluxDB's parse error; their counts are checked all the same.
  const unclosed = (): string | undefined => calls.map(refusedCount).find((why) => why !== undefined);
  for (const t of influxqlTokens(q)) {
    if (t.kind === 'symbol' && t.text === ';') {
      const why = unclosed();
      if (why) return why;
      first = true;
      prev = undefined;
      calls.length = 0;
      continue;
    }
    if (t.kind === 'word') {
      const word = t.text.toUpperCase();
      if (first && !READ_STATEMENTS.has(word))
        return `the console only reads: ${word} is not a SELECT, SHOW or EXPLAIN statement`;
      if (word === 'INTO') return 'the console only reads: SELECT … INTO writes data';
      // The keyword: `distinct(…)`, `COUNT(DISTINCT "value")`, `SELECT DISTINCT "value"`.
      if (word === 'DISTINCT') return holdsEveryPoint('distinct');
    }
    first = false;
    const open = calls.at(-1);
    if (t.kind === 'symbol' && t.text === '(') {
      open?.args.at(-1)?.push(t);
      const name = prev && functionName(prev);
      if (name !== undefined && HOLDS_EVERY_POINT.has(name)) return holdsEveryPoint(name);
      calls.push({ name, args: [[]] });
    } else if (t.kind === 'symbol' && t.text === ')') {
      const why = refusedCount(calls.pop() ?? { name: undefined, args: [] });
      if (why) return why;
    } else if (t.kind === 'symbol' && t.text === ',' && open) open.args.push([]);
    else open?.args.at(-1)?.push(t);
    prev = t;
  }
  return unclosed();
}
