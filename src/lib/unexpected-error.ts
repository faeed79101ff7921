import type { Logger } from './logger.js';

const MAX_FRAMES = 15;
/** Errors already logged: an error wrapped at one layer and seen again at the next is logged once. */
const logged = new WeakSet<object>();

/**
 * An error rotor did not expect — a bug, not a vendor's or AWS's answer — as the log keeps it: its class, its
 * message and its stack frames, never its properties or cause (those can hold requests and credentials). The
 * line goes through the log's redaction like every other.
 */
export function unexpectedErrorFields(error: unknown): {
  readonly errorClass: string;
  readonly message: string;
  readonly frames: readonly string[];
} {
  if (!(error instanceof Error)) {
    return { errorClass: typeof error, message: String(error), frames: [] };
  }
  const frames = (error.stack ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '))
    .slice(0, MAX_FRAMES);
  return { errorClass: error.constructor?.name ?? error.name, message: error.message, frames };
}

/** Logs an unexpected error once, at error level, with its class and frames. */
export function logUnexpected(
  log: Logger,
  error: unknown,
  bindings: Record<string, unknown>,
  message: string,
): void {
  if (typeof error === 'object' && error !== null) {
    if (logged.has(error)) return;
    logged.add(error);
  }
  log.error({ ...bindings, unexpected: unexpectedErrorFields(error) }, message);
}
