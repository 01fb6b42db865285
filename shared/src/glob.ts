/**
 * Entity globs (`sensor.*_battery`): `*` any run of characters, `?` exactly one, anything else itself; the glob
 * must cover the whole string. Case-sensitive, per UTF-16 code unit.
 *
 * Globs come from add-on options and from live-stream query strings, and are matched on the ingestion path for
 * every event, so the matcher must stay linear in the pattern: a RegExp built from the glob (`*` → `.*`)
 * backtracks exponentially on `*?*?*?*?*?*?*?*?x`, seconds per entity id. Here each `*` only remembers where
 * it stands; a mismatch resumes after the last `*` one character further on, because an earlier `*` can never
 * do better than that (whatever it could absorb, the last one can absorb as well). Worst case O(glob × text).
 */

/** Counts the comparisons a match makes, so tests can prove the bound without timing anything. */
export interface GlobMeter {
  steps: number;
}

// The RegExp `.` these globs used to compile to never matched a line break; keep that, so nothing changes.
const BREAK = /[\n\r\u2028\u2029]/;
const BREAKS = /([\n\r\u2028\u2029])/;

const STAR = 42; // '*'
const QUESTION = 63; // '?'

/** Whether `glob` matches all of `text`. */
export function globMatch(glob: string, text: string, meter?: GlobMeter): boolean {
  if (!BREAK.test(text) && !BREAK.test(glob)) return matchLine(glob, text, meter);
  // No wildcard crosses a break, so breaks must pair up with the glob's own, in order; each line matches alone.
  const globs = glob.split(BREAKS);
  const texts = text.split(BREAKS);
  return (
    globs.length === texts.length &&
    globs.every((g, i) => (i % 2 === 1 ? g === texts[i] : matchLine(g, texts[i] ?? '', meter)))
  );
}

function matchLine(glob: string, text: string, meter: GlobMeter | undefined): boolean {
  let g = 0;
  let t = 0;
  /** Position in the glob just after the last `*` seen, or -1 before any. */
  let resume = -1;
  /** Where in the text that `*`'s run currently ends. */
  let runEnd = 0;
  while (t < text.length) {
    if (meter) meter.steps += 1;
    const p = g < glob.length ? glob.charCodeAt(g) : -1;
    if (p === STAR) {
      g += 1;
      resume = g;
      runEnd = t;
    } else if (p !== -1 && (p === QUESTION || p === text.charCodeAt(t))) {
      g += 1;
      t += 1;
    } else if (resume !== -1) {
      runEnd += 1;
      g = resume;
      t = runEnd;
    } else {
      return false;
    }
  }
  // The text is used up: only `*`s (matching nothing) may be left in the glob.
  while (g < glob.length && glob.charCodeAt(g) === STAR) g += 1;
  return g === glob.length;
}
