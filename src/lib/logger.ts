import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import type { Redactor } from '../domain/secret-redactor.js';

export type Logger = PinoLogger;

// A safety net only: secret values are never handed to the logger in the first place.
const redactPaths = [
  'secret',
  'password',
  'token',
  'apiToken',
  'apiKey',
  'authorization',
  'clientSecret',
  'client_secret',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'SecretString',
  'secretAccessKey',
  '*.secret',
  '*.password',
  '*.token',
  '*.apiToken',
  '*.apiKey',
  '*.authorization',
  '*.clientSecret',
  '*.client_secret',
  '*.accessToken',
  '*.access_token',
  '*.refreshToken',
  '*.refresh_token',
  '*.SecretString',
  '*.secretAccessKey',
  'headers["authorization"]',
  'headers["x-auth-key"]',
  'headers["cf-access-client-secret"]',
];

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

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: options.base ?? { service: 'rotor' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(options.redactor === undefined ? {} : { hooks: { streamWrite: redactWith(options.redactor) } }),
  };
  if (options.destination) return pino(settings, options.destination);
  if (options.pretty) {
    return pino(
      settings,
      pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } }),
    );
  }
  return pino(settings);
}
