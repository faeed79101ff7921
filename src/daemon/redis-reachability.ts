import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';

/** How often the "still unreachable" line repeats while Redis does not answer. */
export const UNREACHABLE_REPORT_EVERY_MS = 30_000;

/**
 * Reports every connection's trouble reaching Redis as one clear line — which Redis, why, and that rotor is
 * waiting for it — at most every 30 s across all of rotor's connections, and one line when it answers again.
 * Every connection rotor and BullMQ open is watched: an ioredis connection without an `error` listener
 * prints a stack trace per reconnect attempt.
 */
export class RedisReachability {
  readonly #where: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  #unreachableSince: number | undefined;
  #reportedAt = Number.NEGATIVE_INFINITY;

  constructor(where: string, log: Logger, clock: Clock) {
    this.#where = where;
    this.#log = log;
    this.#clock = clock;
  }

  /** Whether the last word from any connection was a failure to reach Redis. */
  get unreachable(): boolean {
    return this.#unreachableSince !== undefined;
  }

  watch<T extends Redis>(connection: T): T {
    connection.on('error', (error: unknown) => this.failed(error));
    connection.on('ready', () => this.#answered());
    return connection;
  }

  /** A connection-level error (also BullMQ's workers', which re-emit their connections' errors). */
  failed(error: unknown): void {
    const now = this.#clock.now();
    this.#unreachableSince ??= now;
    if (now - this.#reportedAt < UNREACHABLE_REPORT_EVERY_MS) return;
    this.#reportedAt = now;
    const reason = describe(error);
    this.#log.warn(
      { redis: this.#where, reason, unreachableForMs: now - this.#unreachableSince },
      `Redis ${this.#where} is unreachable (${reason}): rotor is waiting for it, reconnecting with backoff`,
    );
  }

  #answered(): void {
    const since = this.#unreachableSince;
    if (since === undefined) return;
    this.#unreachableSince = undefined;
    this.#reportedAt = Number.NEGATIVE_INFINITY;
    this.#log.info(
      { redis: this.#where, unreachableForMs: this.#clock.now() - since },
      `Redis ${this.#where} answers again`,
    );
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * Whether an error a BullMQ worker or queue emitted is its connection's trouble reaching Redis (reported by
 * `RedisReachability`), not a failure of its own work (logged as it comes).
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return (
    typeof message === 'string' &&
    /^(Connection is closed|All sentinels are unreachable|Stream isn't writeable)/.test(message)
  );
}

function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
