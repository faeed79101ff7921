import { Writable } from 'node:stream';
import type { Redactor } from '../../src/domain/secret-redactor.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';

/** A real pino logger writing JSON lines into memory, so tests can read exactly what would be logged. */
export function memoryLogger(
  level = 'debug',
  /** As the daemon's log: every line without the secret values the redactor holds. */
  redactor?: Redactor,
): { log: Logger; lines: () => string[]; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const log = createLogger({ level, destination, ...(redactor === undefined ? {} : { redactor }) });
  const text = () => chunks.join('');
  return {
    log,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line !== ''),
  };
}
