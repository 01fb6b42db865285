import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A stack frame's location in a bundle: `file:///opt/homeiq-ingestor/main.mjs:1:2345`. */
const FRAME = /(file:\/\/[^\s()]+?\.m?js):(\d+):(\d+)/g;

/**
 * Maps the bundle locations in a stack trace back to the TypeScript sources through the bundle's source map
 * (`main.mjs.map` beside it). Node's own `--enable-source-maps` would do this for every error, but it parses and
 * holds the map for the life of the process, tens of MiB for our bundles: the add-ons only decode the stacks they
 * print (at `debug` and `trace`), loading the map at the first one.
 */
export class StackDecoder {
  readonly #maps = new Map<string, SourceMap | null>();
  readonly #read: (path: string) => string;

  constructor(read: (path: string) => string = (p) => readFileSync(p, 'utf8')) {
    this.#read = read;
  }

  /** The stack with each bundle location that the map knows replaced by `source.ts:line:column`. */
  decode(stack: string): string {
    return stack.replace(FRAME, (all, url: string, line: string, column: string) => {
      const map = this.#map(url);
      const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
      if (!entry || !('originalSource' in entry)) return all;
      // Sources are relative to the map in the add-on's dist folder: without their leading `../` segments they
      // are paths inside the repository (`src/main.ts`, `shared/src/logger.ts`).
      const source = entry.originalSource.replace(/^(\.\.\/)+/, '');
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
  }

  #map(url: string): SourceMap | null {
    let map = this.#maps.get(url);
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(this.#read(`${fileURLToPath(url)}.map`)) as SourceMapPayload);
      } catch {
        map = null; // no map beside the bundle (or not a bundle): the stack stays as it is
      }
      this.#maps.set(url, map);
    }
    return map;
  }
}
