import { setTimeout as sleep } from 'node:timers/promises';
import { isRotationError } from '../domain/errors.js';
import type { ApiDeps } from './api-deps.js';

const CHECK_TIMEOUT_MS = 5_000;
const SINK_CHECK_CACHE_MS = 5_000;

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

async function redisProblem(deps: ApiDeps): Promise<ReadinessProblem | undefined> {
  // Not connected (still connecting, or reconnecting with backoff): said at once, not after a PING timed out.
  if (deps.redis.status !== 'ready') {
    return { kind: 'redis-unreachable', detail: `the connection to Redis is ${deps.redis.status}` };
  }
  try {
    await withinDeadline(deps.redis.ping(), 'Redis');
    return undefined;
  } catch (error) {
    return { kind: 'redis-unreachable', detail: error instanceof Error ? error.message : 'unreachable' };
  }
}

/** A sink that answers with a refusal about one secret (not rotor's, not found) is reachable. */
async function sinkProblem(deps: ApiDeps): Promise<ReadinessProblem | undefined> {
  const probe = [...deps.policies.values()][0];
  if (!probe) return undefined;
  const target = { secretId: probe.secret.id, policyId: probe.id, adopt: probe.secret.adopt };
  try {
    await deps.sink.inspect(target, AbortSignal.timeout(CHECK_TIMEOUT_MS));
    return undefined;
  } catch (error) {
    const answered =
      isRotationError(error) && (error.kind === 'invalid-config' || error.kind === 'not-found');
    if (answered) return undefined;
    return {
      kind: 'aws-unreachable',
      detail: `${deps.sink.id}: ${isRotationError(error) ? error.message : 'unreachable'}`,
    };
  }
}

/**
 * The readiness check the probes share: Redis answers, rotor's state is not being rebuilt after Redis lost it,
 * and the sink answers. Redis and the rebuild are looked at on every call (a local round trip; a recovery in
 * progress shows at once). The sink is asked at most once per `SINK_CHECK_CACHE_MS`, and callers that arrive
 * while it is being asked wait for that one call: probes, however many and however often, cost AWS one call
 * every few seconds.
 */
export function createReadinessCheck(deps: ApiDeps): () => Promise<ReadinessProblem[]> {
  let checked: { readonly at: number; readonly problem: ReadinessProblem | undefined } | undefined;
  let checking: Promise<ReadinessProblem | undefined> | undefined;
  const sink = (): Promise<ReadinessProblem | undefined> => {
    if (checked && deps.clock.now() - checked.at < SINK_CHECK_CACHE_MS)
      return Promise.resolve(checked.problem);
    checking ??= sinkProblem(deps)
      .then((problem) => {
        checked = { at: deps.clock.now(), problem };
        return problem;
      })
      .finally(() => {
        checking = undefined;
      });
    return checking;
  };
  return async () => {
    const redis = await redisProblem(deps);
    const recovering = deps.stateRecovery?.();
    const aws = await sink();
    return [
      ...(redis ? [redis] : []),
      ...(recovering === undefined ? [] : [{ kind: 'state-recovering' as const, detail: recovering }]),
      ...(aws ? [aws] : []),
    ];
  };
}
