import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/lib/logger.js';

/** A real pino logger writing JSON lines into memory, so tests can read exactly what would be logged. */
export function memoryLogger(level = 'debug'): { log: Logger; lines: () => string[]; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const log = createLogger({ level, destination });
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
