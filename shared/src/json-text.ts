/**
 * The one way HomeIQ reads JSON it did not write itself (Home Assistant's frames and history replies, options,
 * HTTP bodies, sibling answers, files holding such data). It imports nothing, so the panel may use it too.
 *
 * Why not JSON.parse alone: V8 13.x/14.x (Node 24 and 26) can decode an object key that holds an escape sequence
 * as another key: once an object with a key `"\\"` (one backslash) has been parsed, a later object of the same
 * shape reads a key such as `"\n"`, `"\""` or `"\u0041"` as `"\\"` (V8 resolves an escaped key through an
 * existing property transition whose name matches the key's raw source text). Only keys with an escape are
 * affected; values never are. So a text without any escaped key goes to JSON.parse (the common case, at native
 * speed: `hasEscapedKey` costs one `indexOf` when the text has no backslash at all), and a text with one is read
 * by `parseJsonStrict`, a plain JSON reader that builds every key from its decoded characters.
 */

const WS = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Whether a JSON text has an object key with an escape sequence. Exact for valid JSON: a backslash occurs only
 * inside a string, and a string is a key exactly when the first character after it (past whitespace) is `:`.
 * For text that is not valid JSON the answer does not matter: both readers reject it.
 * Linear: each search starts where the last one of its kind ended (a value of a million `\n` costs one pass,
 * not a pass per escape).
 */
export function hasEscapedKey(text: string): boolean {
  let b = text.indexOf('\\');
  while (b !== -1) {
    // `b` is inside a string: find its closing quote, stepping over every escape (`\"` included).
    let from = b + 2;
    let q = text.indexOf('"', from);
    let next = text.indexOf('\\', from);
    while (next !== -1 && next < q) {
      from = next + 2;
      next = text.indexOf('\\', from);
      if (q < from) q = text.indexOf('"', from);
    }
    if (q === -1) return true; // unterminated: the strict reader reports it
    let k = q + 1;
    while (WS(text.charCodeAt(k))) k += 1;
    if (text.charCodeAt(k) === 0x3a /* : */) return true;
    b = next; // the first backslash after `from`, and so after the closing quote
  }
  return false;
}

/** JSON.parse's result for any valid JSON text, whatever the runtime's key bug; throws SyntaxError otherwise. */
export function parseJson(text: string): unknown {
  return hasEscapedKey(text) ? parseJsonStrict(text) : JSON.parse(text);
}

/**
 * Whether this runtime's JSON.parse has the escaped-key bug (see the top). Uses a key shape of its own, so
 * the check leaves nothing behind that another parse could meet.
 */
export function jsonParseHasKeyBug(): boolean {
  const shape = `"homeiq-json-self-check-${Math.random().toString(36).slice(2)}"`;
  JSON.parse(`{${shape}:0,"\\\\":1}`);
  const keys = Object.keys(JSON.parse(`{${shape}:0,"\\n":1}`) as object);
  return keys[1] !== '\n';
}

class Reader {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new SyntaxError(`${what} in JSON at position ${this.i}`);
  }

  ws(): void {
    while (WS(this.s.charCodeAt(this.i))) this.i += 1;
  }

  string(): string {
    const s = this.s;
    let i = this.i + 1; // past the opening quote
    let out = '';
    for (;;) {
      let j = i;
      let c = s.charCodeAt(j);
      while (c !== 0x22 && c !== 0x5c && c >= 0x20) c = s.charCodeAt(++j); // NaN past the end: stops at < 0x20 test
      if (j >= s.length) {
        this.i = j;
        this.fail('Unterminated string');
      }
      out += s.slice(i, j);
      if (c === 0x22) {
        this.i = j + 1;
        return out;
      }
      if (c < 0x20) {
        this.i = j;
        this.fail('Bad control character in string literal');
      }
      const e = s.charCodeAt(j + 1);
      i = j + 2;
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const hex = s.slice(j + 2, j + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.i = j;
            this.fail('Bad Unicode escape');
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i = j + 6;
          break;
        }
        default:
          this.i = j;
          this.fail('Bad escaped character');
      }
    }
  }

  scalar(): unknown {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 0x22) return this.string();
    for (const [word, value] of LITERALS) {
      if (s.startsWith(word, this.i)) {
        this.i += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(s);
    if (m === null) this.fail(this.i >= s.length ? 'Unexpected end' : `Unexpected token '${s[this.i]}'`);
    this.i += m[0].length;
    return Number(m[0]);
  }
}

const LITERALS: ReadonlyArray<[string, unknown]> = [
  ['true', true],
  ['false', false],
  ['null', null],
];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** A container being read: an array, or an object with the key whose value comes next. */
type Open = { arr: unknown[]; obj?: undefined; key?: undefined } | { arr?: undefined; obj: object; key: string };

function put(o: Open, v: unknown): void {
  if (o.arr) o.arr.push(v);
  else if (o.key === '__proto__')
    // An own property, as JSON.parse makes it; an assignment would set the prototype instead.
    Object.defineProperty(o.obj, o.key, { value: v, writable: true, enumerable: true, configurable: true });
  else (o.obj as Record<string, unknown>)[o.key] = v;
}

/**
 * A JSON reader in plain JavaScript: the same result as JSON.parse (same values, key order, duplicate keys and
 * `__proto__` as own properties), with keys built from their decoded characters. Iterative, so a deeply nested
 * text cannot overflow the stack. Slower than JSON.parse: `parseJson` uses it only when a text needs it.
 */
export function parseJsonStrict(text: string): unknown {
  const r = new Reader(text);
  const stack: Open[] = [];
  let result: unknown;
  let done = false;
  r.ws();
  // One value per turn: open a container, or read a scalar; then close what ends and expect `,` or the end.
  for (;;) {
    const c = text.charCodeAt(r.i);
    let value: unknown;
    let opened = false;
    if (c === 0x7b /* { */) {
      r.i += 1;
      r.ws();
      const obj = {};
      if (text.charCodeAt(r.i) === 0x7d) {
        r.i += 1;
        value = obj;
      } else {
        if (text.charCodeAt(r.i) !== 0x22) r.fail('Expected a property name');
        const key = r.string();
        r.ws();
        if (text.charCodeAt(r.i) !== 0x3a) r.fail("Expected ':' after property name");
        r.i += 1;
        r.ws();
        if (stack.length === 0) result = obj;
        else put(stack[stack.length - 1] as Open, obj);
        stack.push({ obj, key });
        opened = true;
      }
    } else if (c === 0x5b /* [ */) {
      r.i += 1;
      r.ws();
      const arr: unknown[] = [];
      if (text.charCodeAt(r.i) === 0x5d) {
        r.i += 1;
        value = arr;
      } else {
        if (stack.length === 0) result = arr;
        else put(stack[stack.length - 1] as Open, arr);
        stack.push({ arr });
        opened = true;
      }
    } else value = r.scalar();
    if (opened) continue;
    if (stack.length === 0) {
      result = value;
      done = true;
    } else put(stack[stack.length - 1] as Open, value);
    // Close containers, or move on to the next element or property.
    while (!done) {
      r.ws();
      const top = stack[stack.length - 1] as Open;
      const d = text.charCodeAt(r.i);
      if (d === 0x2c /* , */) {
        r.i += 1;
        r.ws();
        if (top.obj) {
          if (text.charCodeAt(r.i) !== 0x22) r.fail('Expected a property name');
          top.key = r.string();
          r.ws();
          if (text.charCodeAt(r.i) !== 0x3a) r.fail("Expected ':' after property name");
          r.i += 1;
          r.ws();
        }
        break;
      }
      if ((d === 0x5d && top.arr) || (d === 0x7d && top.obj)) {
        r.i += 1;
        stack.pop();
        if (stack.length === 0) done = true;
        continue;
      }
      r.fail(r.i >= text.length ? 'Unexpected end of JSON input' : `Unexpected token '${text[r.i]}'`);
    }
    if (done) break;
  }
  r.ws();
  if (r.i < text.length) r.fail('Unexpected non-whitespace character after JSON');
  return result;
}
