import type { HttpClientFactory } from '../lib/http-client.js';
import { gatedHttpFactory } from './gated-http.js';
import type { RateLimit } from './rate-limit.js';
import type { RateLimiter } from './request-gate.js';

/** What a connection's HTTP clients are built from (a configured connection is one). */
export interface HttpConnection {
  readonly name: string;
  /** undefined: the connection's calls pass no client-side limit. */
  readonly rateLimit: RateLimit | undefined;
  readonly timeoutMs: number;
}

/**
 * HTTP clients per connection, with the connection's timeout: those of a connection with a rate limit pass
 * its shared gate (key `connection:<name>`), the others send directly. Built once per connection object, so a
 * reloaded config with a changed limit or timeout gets new ones.
 */
export function connectionHttp(
  clientsWithTimeout: (timeoutMs: number) => HttpClientFactory,
  limiter: RateLimiter,
): (connection: HttpConnection) => HttpClientFactory {
  const built = new WeakMap<HttpConnection, HttpClientFactory>();
  return (connection) => {
    const known = built.get(connection);
    if (known) return known;
    const base = clientsWithTimeout(connection.timeoutMs);
    const factory =
      connection.rateLimit === undefined
        ? base
        : gatedHttpFactory(base, limiter.gate(`connection:${connection.name}`, connection.rateLimit));
    built.set(connection, factory);
    return factory;
  };
}
