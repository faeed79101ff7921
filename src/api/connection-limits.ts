import type { Server } from 'node:http';
import type { ApiConnectionLimits } from '../config/rotor-config.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';

/** Node enforces the headers and request timeouts on this interval (its default, 30 s, would let them run late). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
const DROP_WARNING_EVERY_MS = 60_000;

/** Fastify's options for the configured timeouts: idle and slow clients are cut off. */
export function timeoutOptions(limits: ApiConnectionLimits) {
  return {
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node's own server options: Fastify has none for these.
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, limits.headersTimeoutMs),
    },
  };
}

/**
 * Caps the server's open connections: Node closes a connection beyond the cap as soon as it is accepted, so
 * clients cannot use up the file descriptors the daemon's own calls need. The log says so at most once a minute.
 */
export function capConnections(server: Server, maxConnections: number, log: Logger, clock: Clock): void {
  server.maxConnections = maxConnections;
  let dropped = 0;
  let warnedAt: number | undefined;
  server.on('drop', () => {
    dropped++;
    const now = clock.now();
    if (warnedAt !== undefined && now - warnedAt < DROP_WARNING_EVERY_MS) return;
    log.warn(
      { maxConnections, dropped },
      'API connection cap reached: connections beyond it are closed at once',
    );
    warnedAt = now;
    dropped = 0;
  });
}
