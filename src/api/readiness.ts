import { setTimeout as sleep } from 'node:timers/promises';
import { isRotationError } from '../domain/errors.js';
import type { ApiDeps } from './api-deps.js';

const CHECK_TIMEOUT_MS = 5_000;

async function withinDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  const deadline = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(CHECK_TIMEOUT_MS, undefined, { signal: deadline.signal }).then(() => {
        throw new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS / 1000}s`);
      }),
    ]);
  } finally {
    deadline.abort();
  }
}

/**
 * Why the daemon cannot do its work right now: Redis or the sink unreachable. A sink that answers with a
 * refusal about one secret (not rotor's, not found) is reachable.
 */
export async function readinessProblems(deps: ApiDeps): Promise<string[]> {
  const problems: string[] = [];
  try {
    await withinDeadline(deps.redis.ping(), 'Redis');
  } catch (error) {
    problems.push(`redis: ${error instanceof Error ? error.message : 'unreachable'}`);
  }
  const probe = [...deps.policies.values()][0];
  if (probe) {
    const target = { secretId: probe.secret.id, policyId: probe.id, adopt: probe.secret.adopt };
    try {
      await deps.sink.inspect(target, AbortSignal.timeout(CHECK_TIMEOUT_MS));
    } catch (error) {
      const answered =
        isRotationError(error) && (error.kind === 'invalid-config' || error.kind === 'not-found');
      if (!answered) {
        problems.push(`${deps.sink.id}: ${isRotationError(error) ? error.message : 'unreachable'}`);
      }
    }
  }
  return problems;
}
