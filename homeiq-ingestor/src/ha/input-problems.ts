import type { Logger } from '@homeiq/shared';
import type { InvalidKind } from './messages.js';

/** What HaSocket could not use of what Home Assistant sent (part of HaSocketStats). */
export interface InputProblemCounts {
  /** Frames that are not JSON, or neither a message nor an array of messages. */
  badFrames: number;
  /** Messages left out because they lack the shape of their type, by kind (see InvalidKind). */
  invalidMessages: Partial<Record<InvalidKind, number>>;
  /** Messages whose handling failed (a bug on our side; logged once per message type). */
  handlerErrors: number;
  unknownMessages: number;
}

/** Message types remembered for "logged once" (a hostile peer could send endlessly many). */
const MAX_TYPES_LOGGED = 100;

/**
 * Counts and logs what HaSocket leaves out of Home Assistant's frames: each kind is counted every time and logged
 * the first time only, so a flood of bad input cannot flood the log.
 */
export class InputProblems {
  readonly #counts: InputProblemCounts = { badFrames: 0, invalidMessages: {}, handlerErrors: 0, unknownMessages: 0 };
  readonly #seenUnknown = new Set<string>();
  readonly #seenHandlerErrors = new Set<string>();

  constructor(private readonly log: Logger) {}

  counts(): InputProblemCounts {
    return { ...this.#counts, invalidMessages: { ...this.#counts.invalidMessages } };
  }

  badFrame(): void {
    this.#counts.badFrames += 1;
    if (this.#counts.badFrames === 1)
      this.log.warn('received a frame that is not a Home Assistant message; counting and ignoring such frames');
  }

  /** For parseFrame's `onInvalid`. */
  readonly invalid = (kind: InvalidKind): void => {
    const n = this.#counts.invalidMessages[kind] ?? 0;
    this.#counts.invalidMessages[kind] = n + 1;
    if (n === 0)
      this.log.warn(
        `received a malformed '${kind}' message from Home Assistant; leaving such messages out (counted in /metrics, logged once per kind)`,
      );
  };

  unknown(type: unknown): void {
    this.#counts.unknownMessages += 1;
    const t = String(type).slice(0, 40);
    if (this.#firstOf(this.#seenUnknown, t))
      this.log.info(`ignoring unknown message type '${t}' (logged once per type)`);
  }

  handlerFailed(type: unknown, err: unknown): void {
    this.#counts.handlerErrors += 1;
    const t = String(type).slice(0, 40);
    if (this.#firstOf(this.#seenHandlerErrors, t))
      this.log.error(
        { err },
        `handling a '${t}' message from Home Assistant failed; the message is left out and the connection kept (counted in /metrics, logged once per type)`,
      );
  }

  #firstOf(seen: Set<string>, t: string): boolean {
    if (seen.has(t) || seen.size >= MAX_TYPES_LOGGED) return false;
    seen.add(t);
    return true;
  }
}
