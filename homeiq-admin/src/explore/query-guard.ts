/**
 * What the query console refuses in Flux (InfluxQL: influxql-guard.ts): checked on the syntax tree InfluxDB
 * itself parses (`POST /api/v2/query/ast`), not on the text. The admin's token can only read, so InfluxDB would
 * refuse writes anyway; what a read token does not stop is Flux reaching *other* servers (`from(host:)`, `to(host:, token:)`,
 * `http.post`, `sql.from`, …), so the console allows only packages that compute, and no argument that names
 * another server or credentials. Pure.
 */

/** Packages that only compute or read this InfluxDB. */
export const ALLOWED_IMPORTS: ReadonlySet<string> = new Set([
  'array',
  'date',
  'date/boundaries',
  'dict',
  'experimental',
  'experimental/aggregate',
  'experimental/array',
  'experimental/geo',
  'experimental/table',
  'influxdata/influxdb/schema',
  'influxdata/influxdb/v1',
  'interpolate',
  'join',
  'json',
  'math',
  'regexp',
  'runtime',
  'sampledata',
  'strings',
  'system',
  'timezone',
  'types',
  'universe',
]);

/** Call arguments that point at another server or carry credentials. */
const REMOTE_ARGS: ReadonlySet<string> = new Set(['host', 'token', 'url', 'file', 'username', 'password', 'dsn']);
/** Functions that write. */
const WRITERS: ReadonlySet<string> = new Set(['to', 'wideTo']);

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);
const nameOf = (v: unknown): string | undefined => {
  if (!isNode(v)) return undefined;
  if (typeof v['name'] === 'string') return v['name'];
  return typeof v['value'] === 'string' ? v['value'] : undefined;
};

/** Why the console will not run this program, or undefined when it may. `ast` is the answer's `ast` member. */
export function refusedFlux(ast: unknown): string | undefined {
  const packages = new Set(['universe']);
  let refusal: string | undefined;
  const writes = (name: string): string =>
    `the console only reads: ${name}() writes data; use the query in a task or script of your own instead`;
  const visit = (node: unknown, isKey = false): void => {
    if (refusal !== undefined) return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (!isNode(node)) return;
    switch (node['type']) {
      case 'ImportDeclaration': {
        const path = nameOf(node['path']) ?? '';
        if (!ALLOWED_IMPORTS.has(path)) {
          refusal = `the console does not run import "${path}": it may reach other servers or write (allowed: ${[...ALLOWED_IMPORTS].join(', ')})`;
          return;
        }
        packages.add(nameOf(node['as']) ?? (path.split('/').at(-1) as string));
        return;
      }
      case 'Identifier': {
        const name = nameOf(node) ?? '';
        if (isKey) return;
        if (WRITERS.has(name)) refusal = writes(name);
        // `e = experimental` then `e.to(…)`: a package held in a variable, a record or an argument hides what is
        // called on it; packages are only used as `package.function`.
        else if (packages.has(name))
          refusal = `the console only runs packages' functions as ${name}.function(…), not ${name} as a value`;
        return;
      }
      case 'Property':
        // A record's key or a named argument: a name, not a use of the function of that name.
        visit(node['key'], true);
        visit(node['value']);
        return;
      case 'MemberExpression': {
        const object = nameOf(node['object']);
        if (!(isNode(node['object']) && node['object']['type'] === 'Identifier' && packages.has(object ?? '')))
          visit(node['object']);
        const name = nameOf(node['property']) ?? '';
        if (WRITERS.has(name) && object !== undefined && packages.has(object)) refusal = writes(`${object}.${name}`);
        return;
      }
      case 'CallExpression':
        for (const arg of Array.isArray(node['arguments']) ? node['arguments'] : []) {
          for (const p of isNode(arg) && Array.isArray(arg['properties']) ? arg['properties'] : []) {
            const key = isNode(p) ? nameOf(p['key']) : undefined;
            if (key !== undefined && REMOTE_ARGS.has(key)) {
              refusal = `the console only reads this InfluxDB: the argument ${key}: is not allowed`;
              return;
            }
          }
        }
        break;
      default:
        break;
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'location') visit(v);
  };
  // Without the syntax tree there is nothing to check: refuse rather than run unchecked.
  if (!isNode(ast) || !Array.isArray(ast['files']))
    return 'InfluxDB did not answer with the syntax tree of the program, so the console cannot check it';
  // Imports first, so that a package's alias is known wherever the body uses it.
  const files = ast['files'];
  for (const f of files) if (isNode(f)) visit(f['imports']);
  visit(ast);
  return refusal;
}

/**
 * Whether the program may ask for empty windows: a `createEmpty` that is not plainly `false`, or `aggregateWindow`
 * (whose default is `true`) called without one or used as a value, or `false` itself redefined. influxd's storage
 * engine answers a window aggregate with empty windows by listing every window of the range at once, outside the
 * query's memory limit and deaf to the query being stopped: `aggregateWindow(every: 1ns, fn: count)` over years
 * grows influxd by gigabytes a minute until the system kills it. Such a program is left to Flux's own window
 * functions (console.ts), which count their memory against the limit and stop with the query.
 */
export function mayCreateEmptyWindows(ast: unknown): boolean {
  let found = false;
  const isFalse = (v: unknown): boolean => isNode(v) && v['type'] === 'Identifier' && v['name'] === 'false';
  const isAggregateWindow = (v: unknown): boolean =>
    isNode(v) &&
    ((v['type'] === 'Identifier' && v['name'] === 'aggregateWindow') ||
      (v['type'] === 'MemberExpression' && nameOf(v['property']) === 'aggregateWindow'));
  const visit = (node: unknown): void => {
    if (found) return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (!isNode(node)) return;
    switch (node['type']) {
      case 'CallExpression': {
        const args = Array.isArray(node['arguments']) ? node['arguments'] : [];
        const props = args.flatMap((a) => (isNode(a) && Array.isArray(a['properties']) ? a['properties'] : []));
        const callee = node['callee'];
        if (isAggregateWindow(callee)) {
          // The argument itself is checked as a Property below.
          if (!props.some((p) => isNode(p) && nameOf(p['key']) === 'createEmpty')) found = true;
          if (isNode(callee) && callee['type'] === 'MemberExpression') visit(callee['object']);
        } else visit(callee);
        visit(args);
        return;
      }
      case 'Property': {
        const key = nameOf(node['key']);
        if ((key === 'createEmpty' && !isFalse(node['value'])) || key === 'false') found = true;
        visit(node['value']);
        return;
      }
      case 'VariableAssignment':
        if (nameOf(node['id']) === 'false') found = true;
        visit(node['init']);
        return;
      case 'ImportDeclaration':
        if (nameOf(node['as']) === 'false') found = true;
        return;
      case 'Identifier':
      case 'MemberExpression':
        if (isAggregateWindow(node)) found = true;
        else if (node['type'] === 'MemberExpression') visit(node['object']);
        return;
      default:
        break;
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'location') visit(v);
  };
  visit(ast);
  return found;
}
