import type { RateLimit } from './rate-limit.js';

/** Names the call waiting at a gate, for the error raised when the wait would be too long. */
export interface GatedCall {
  readonly system: string;
  readonly operation: string;
  readonly signal?: AbortSignal | undefined;
}

/** Lets calls through at the pace of one rate limit; every call through the same key shares it. */
export interface RequestGate {
  /**
   * Resolves when the call may be sent, with the time it was let through (epoch ms, the limiter's clock);
   * rejects with a `rate-limited` RotationError when the wait would be too long.
   */
  pass(call: GatedCall): Promise<number>;
}

export interface RateLimiter {
  gate(key: string, limit: RateLimit): RequestGate;
}

/** A gate that never waits: for limits turned off and for one-shot commands. */
export const openGate: RequestGate = { pass: async () => Date.now() };
