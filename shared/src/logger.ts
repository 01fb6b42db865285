import { pino, type Logger, type LevelWithSilent } from 'pino';
import { formatRecord, type LogSecrets } from './log-format.js';
import { StackDecoder } from './stack-decoder.js';
import type { LogLevelOption } from './options.js';

export type { Logger } from 'pino';
export { LogSecrets } from './log-format.js';

const LEVELS: Record<LogLevelOption, LevelWithSilent> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** Maps the Supervisor's `log_level` names onto pino's levels. */
export function pinoLevel(level: LogLevelOption): LevelWithSilent {
  return LEVELS[level];
}

/** Keys whose values are secrets wherever they appear (one level of nesting covers our call sites). */
const REDACT_KEYS = ['token', 'password', 'authorization', 'access_token', 'supervisorToken', 'operatorToken'];
const REDACT_PATHS = [
  ...REDACT_KEYS,
  ...REDACT_KEYS.map((k) => `*.${k}`),
  'headers.authorization',
  'req.headers.authorization',
];

export interface LoggerOptions {
  level: LogLevelOption;
  /** Name of the add-on, e.g. `homeiq-ingestor`. */
  name: string;
  secrets: LogSecrets;
  /** Where formatted lines go; stdout by default (synchronous for files and pipes on Linux). */
  write?: (line: string) => void;
}

/** Creates the root logger; modules take `root.child({ module: 'ha/socket' })`. */
export function createLogger(opts: LoggerOptions): Logger {
  const write = opts.write ?? ((line: string) => void process.stdout.write(line));
  // Stacks only when debugging: at info they bury the one line that says what to do. They point into the
  // TypeScript sources then, through the bundle's source map, loaded at the first stack printed.
  const decoder = opts.level === 'debug' || opts.level === 'trace' ? new StackDecoder() : undefined;
  const stacks = decoder && ((stack: string) => decoder.decode(stack));
  const stream = { write: (json: string) => write(formatRecord(json, opts.secrets, stacks)) };
  return pino(
    {
      name: opts.name,
      level: pinoLevel(opts.level),
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    stream,
  );
}

/** A logger for the moments before options are known (option errors, env errors). */
export function bootstrapLogger(name: string, secrets: LogSecrets, write?: (line: string) => void): Logger {
  return createLogger({ level: 'info', name, secrets, ...(write ? { write } : {}) });
}
