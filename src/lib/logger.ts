import {
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Logger as PinoLogger,
  pino,
} from 'pino';
import type { Redactor } from '../domain/secret-redactor.js';
import { redactSecretNames } from './log-redaction.js';

export type Logger = PinoLogger;

interface LoggableError {
  name?: unknown;
  message?: unknown;
  kind?: unknown;
  details?: unknown;
}

/** Whitelist: an error is logged as name, message, kind and wire facts; never its cause, request or stack. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const { name, message, kind, details } = error as LoggableError;
  return {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : '',
    ...(typeof kind === 'string' ? { kind } : {}),
    ...(typeof details === 'object' && details !== null ? { details } : {}),
  };
}

export interface LoggerOptions {
  readonly level?: string;
  readonly destination?: DestinationStream;
  readonly base?: Record<string, unknown>;
  /** Human-readable lines through pino-pretty (redaction still applies first). */
  readonly pretty?: boolean;
  /** Removes every registered secret value from each finished line, whatever logged it (child loggers too). */
  readonly redactor?: Redactor;
}

function redactWith(redactor: Redactor): (line: string) => string {
  return (line) => redactor.redact(line);
}

const serializers = { err: serializeError, error: serializeError };
const serialized: ReadonlySet<string> = new Set(Object.keys(serializers));
/** Members named like a secret are censored in every line and every child's bindings (see log-redaction.ts). */
const censorSecretNames = (logged: Record<string, unknown>) => redactSecretNames(logged, serialized);

/**
 * pino formats a child's bindings with the root's `formatters.bindings` only at the root (children reset it):
 * every logger descending from this one (children are made from their parent by Object.create) censors the
 * bindings it is given before pino sees them.
 */
function censoringChildBindings(logger: Logger): Logger {
  const pinoChild = logger.child;
  logger.child = function child<ChildCustomLevels extends string = never>(
    this: Logger,
    bindings: Bindings,
    childOptions?: ChildLoggerOptions<ChildCustomLevels>,
  ) {
    return pinoChild.call<
      Logger,
      [Bindings, ChildLoggerOptions<ChildCustomLevels>?],
      PinoLogger<ChildCustomLevels>
    >(this, censorSecretNames(bindings), childOptions);
  };
  return logger;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: options.base ?? { service: 'rotor' },
    formatters: { log: censorSecretNames, bindings: censorSecretNames },
    serializers,
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(options.redactor === undefined ? {} : { hooks: { streamWrite: redactWith(options.redactor) } }),
  };
  if (options.destination) return censoringChildBindings(pino(settings, options.destination));
  if (options.pretty) {
    return censoringChildBindings(
      pino(
        settings,
        pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } }),
      ),
    );
  }
  return censoringChildBindings(pino(settings));
}
