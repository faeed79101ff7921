import { setTimeout as sleep } from 'node:timers/promises';
import { isRotationError } from '../domain/errors.js';
import type { ApiDeps } from './api-deps.js';

const CHECK_TIMEOUT_MS = 5_000;

/**
 * Why the daemon cannot do its work right now. The kinds are all an unauthenticated probe sees; the
 * details go to the log and to authenticated callers.
 */
export const readinessKinds = ['redis-unreachable', 'state-recovering', 'aws-unreachable'] as const;
export type ReadinessKind = (typeof readinessKinds)[number];

export interface ReadinessProblem {
  readonly kind: ReadinessKind;
  readonly detail: string;
}

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
 * Checked on every call (no cache, so a recovery in progress shows at once): Redis answers, rotor's state is
 * not being rebuilt after Redis lost it, and the sink answers. A sink that answers with a refusal about one
 * secret (not rotor's, not found) is reachable.
 */
export async function readinessProblems(deps: ApiDeps): Promise<ReadinessProblem[]> {
  const problems: ReadinessProblem[] = [];
  try {
    await withinDeadline(deps.redis.ping(), 'Redis');
  } catch (error) {
    problems.push({
      kind: 'redis-unreachable',
      detail: error instanceof Error ? error.message : 'unreachable',
    });
  }
  const recovering = deps.stateRecovery?.();
  if (recovering !== undefined) problems.push({ kind: 'state-recovering', detail: recovering });
  const probe = [...deps.policies.values()][0];
  if (probe) {
    const target = { secretId: probe.secret.id, policyId: probe.id, adopt: probe.secret.adopt };
    try {
      await deps.sink.inspect(target, AbortSignal.timeout(CHECK_TIMEOUT_MS));
    } catch (error) {
      const answered =
        isRotationError(error) && (error.kind === 'invalid-config' || error.kind === 'not-found');
      if (!answered) {
        const detail = `${deps.sink.id}: ${isRotationError(error) ? error.message : 'unreachable'}`;
        problems.push({ kind: 'aws-unreachable', detail });
      }
    }
  }
  return problems;
}
