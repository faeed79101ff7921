import type { Clock } from '../../src/lib/clock.js';
import { createHttpClientFactory } from '../../src/lib/http-client.js';
import type { StepContext } from '../../src/providers/provider.js';
import { memoryLogger } from './memory-log.js';

/** A real StepContext for provider tests: undici client, in-memory pino, the given clock. */
export function stepContext(clock: Clock, timeoutMs = 2_000): StepContext & { logText: () => string } {
  const { log, text } = memoryLogger();
  return {
    http: createHttpClientFactory({ timeoutMs }),
    log,
    signal: new AbortController().signal,
    clock,
    policyId: 'test-policy',
    runId: 'test-policy-1',
    logText: text,
  };
}
