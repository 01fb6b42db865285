/**
 * Python's `repr` of JSON-like values → the JSON value, for attributes HA's influxdb integration stored as text:
 * it writes `str(value)` for anything `float()` refuses, so a list attribute (`options`, `hvac_modes`,
 * `rgb_color`) arrives as `['home', 'away']` or `(255, 0, 0)`. What HomeIQ records live for the same attribute is
 * HA's JSON of it (tuples and sets become arrays), so converting the text back gives the same `_json` field.
 *
 * Accepted: strings in single or double quotes with Python's escapes, integers and decimals (with `_` between
 * digits), `True`, `False`, `None`, lists, tuples, sets, `set()` and dicts with string or number keys. Anything
 * else (`datetime.datetime(…)`, `<HVACMode.OFF: 'off'>`, `inf`, `nan`) is not JSON data: undefined, and the caller
 * keeps the text as it is. Bounded: at most MAX_DEPTH levels of nesting, and it never throws.
 */

const MAX_DEPTH = 64;

class NotLiteral extends Error {}

const fail = (): never => {
  throw new NotLiteral();
};

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };
const NUMBER = /^[-+]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][-+]?\d(?:_?\d)*)?/;
const WORD = /^[A-Za-z_]\w*/;

class Reader {
  i = 0;
  constructor(readonly s: string) {}

  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i += 1;
  }

  peek(): string | undefined {
    this.skipSpace();
    return this.s[this.i];
  }

  expect(c: string): void {
    if (this.peek() !== c) fail();
    this.i += 1;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) fail();
    const c = this.peek();
    if (c === "'" || c === '"') return this.string(c);
    if (c === '[') return this.sequence('[', ']', depth);
    if (c === '(') return this.sequence('(', ')', depth);
    if (c === '{') return this.braces(depth);
    const rest = this.s.slice(this.i);
    const word = WORD.exec(rest)?.[0];
    if (word !== undefined) {
      this.i += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      if (word === 'set') {
        this.expect('(');
        this.expect(')');
        return [];
      }
      return fail();
    }
    const num = NUMBER.exec(rest)?.[0];
    if (num === undefined) return fail();
    this.i += num.length;
    const n = Number(num.replaceAll('_', ''));
    return Number.isFinite(n) ? n : fail();
  }

  string(quote: string): string {
    this.i += 1;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) return fail();
      this.i += 1;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i];
      if (e === undefined) return fail();
      this.i += 1;
      const simple = SIMPLE_ESCAPES[e];
      const digits = HEX_DIGITS[e];
      if (simple !== undefined) out += simple;
      else if (digits !== undefined) {
        const hex = this.s.slice(this.i, this.i + digits);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) fail();
        const cp = Number.parseInt(hex, 16);
        if (cp > 0x10ffff) fail();
        out += String.fromCodePoint(cp);
        this.i += digits;
      } else fail(); // octal and \N{…} escapes never appear in repr's output of text
    }
  }

  sequence(open: string, close: string, depth: number): unknown[] {
    this.expect(open);
    const out: unknown[] = [];
    while (this.peek() !== close) {
      out.push(this.value(depth + 1));
      if (this.peek() === ',') this.i += 1;
      else if (this.peek() !== close) fail();
    }
    this.i += 1;
    return out;
  }

  /** A dict, or a set (`{1, 2}`: written as an array, as HA's JSON encoder writes sets). */
  braces(depth: number): unknown {
    this.expect('{');
    if (this.peek() === '}') {
      this.i += 1;
      return {};
    }
    const first = this.value(depth + 1);
    if (this.peek() !== ':') {
      const items = [first];
      while (this.peek() === ',') {
        this.i += 1;
        if (this.peek() === '}') break;
        items.push(this.value(depth + 1));
      }
      this.expect('}');
      return items;
    }
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    let key = first;
    for (;;) {
      if (typeof key !== 'string' && typeof key !== 'number') fail();
      this.expect(':');
      out[String(key)] = this.value(depth + 1);
      if (this.peek() === ',') this.i += 1;
      if (this.peek() === '}') break;
      key = this.value(depth + 1);
    }
    this.i += 1;
    return out;
  }
}

/** The JSON value of a Python repr (see the top), or undefined when the text is not one. */
export function parsePythonLiteral(text: string): unknown {
  const r = new Reader(text);
  try {
    const v = r.value(0);
    r.skipSpace();
    return r.i === text.length ? v : undefined;
  } catch (err) {
    if (err instanceof NotLiteral) return undefined;
    throw err;
  }
}

/** Whether the text may be a container repr worth parsing (a plain string attribute never starts so, or rarely). */
export function looksLikeContainer(text: string): boolean {
  const c = text[0];
  const last = text[text.length - 1];
  return (c === '[' && last === ']') || (c === '(' && last === ')') || (c === '{' && last === '}');
}
