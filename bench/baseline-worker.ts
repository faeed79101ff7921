import { randomUUID } from 'node:crypto';
import { type Job, Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import type { PolicyConfig, RotorConfig } from '../src/config/rotor-config.js';
import { openRedis } from '../src/daemon/redis-infrastructure.js';
import { decodeCredential, encodeCredential } from '../src/engine/credential-codec.js';
import { systemClock } from '../src/lib/clock.js';
import { createHttpClientFactory } from '../src/lib/http-client.js';
import { createLogger } from '../src/lib/logger.js';
import { connectionHttp } from '../src/rate-limit/connection-http.js';
import { RedisRateLimiter } from '../src/rate-limit/redis-rate-limiter.js';
import { createAwsSecretsManagerSink } from '../src/sinks/aws-secrets-manager/aws-sm.sink.js';

export const BASELINE_QUEUE = 'baseline-rotations';

/**
 * The overhead benchmark's baseline: a minimal BullMQ worker making exactly the HTTP calls a rotation makes
 * (the sink's ensure, the current secret where the action reads it, issue, stage, verify, promote) with the
 * same provider code, HTTP clients and sink, but no engine: no checkpoints, no journal, no history.
 */
export interface Baseline {
  readonly queue: Queue;
  /** The queue's key prefix (under the config's, so the world's cleanup deletes it). */
  readonly prefix: string;
  close(): Promise<void>;
}

export async function startBaseline(config: RotorConfig, concurrency: number): Promise<Baseline> {
  const redis = openRedis(config.redis);
  const prefix = `${config.redis.prefix}-baseline`;
  const policies = new Map(config.policies.map((policy) => [policy.id, policy]));
  const limiter = new RedisRateLimiter(redis, { prefix });
  const http = connectionHttp((timeoutMs) => createHttpClientFactory({ timeoutMs }), limiter);
  const sink = createAwsSecretsManagerSink(config.sink, { clock: systemClock, limiter });
  const log = createLogger({
    level: 'info',
    destination: pino.destination({ dest: '/dev/null', sync: true }),
  });

  const rotate = async (job: Job<{ policyId: string }>): Promise<void> => {
    const policy = policies.get(job.data.policyId) as PolicyConfig;
    const provider = policy.connection.provider;
    const action = provider.actions[policy.action];
    if (!action) throw new Error(`no action ${policy.action}`);
    const target = { secretId: policy.secret.id, policyId: policy.id, adopt: policy.secret.adopt };
    const signal = AbortSignal.timeout(60_000);
    const runId = `${policy.id}-b${job.id}`;
    const ctx = {
      http: http(policy.connection),
      log,
      signal,
      clock: systemClock,
      policyId: policy.id,
      runId,
    };
    const { currentVersionId } = await sink.ensure(target, signal);
    const stored = action.readsCurrent ? await sink.read(target, 'current', signal) : undefined;
    const current = stored
      ? decodeCredential(stored.value, provider.schemas.credential, {
          policyId: policy.id,
          secretId: target.secretId,
          version: 'current',
        })
      : undefined;
    const issued = await action.issue(
      {
        connection: policy.connection.settings,
        target: policy.target,
        current,
        gracePeriodMs: policy.gracePeriodMs,
        earlierAttemptMayHaveIssued: false,
      },
      ctx,
    );
    const versionId = randomUUID();
    await sink.stage(target, versionId, encodeCredential(issued.credential, { runId }), signal);
    await provider.verify?.(
      {
        connection: policy.connection.settings,
        target: policy.target,
        credential: issued.credential,
        handle: issued.handle,
        settings: policy.verify,
      },
      ctx,
    );
    await sink.promote(target, versionId, currentVersionId, signal);
  };

  const worker = new Worker(BASELINE_QUEUE, rotate, { connection: redis.duplicate(), prefix, concurrency });
  const queue = new Queue(BASELINE_QUEUE, { connection: redis, prefix });
  return {
    queue,
    prefix,
    close: async () => {
      await worker.close();
      await queue.close();
      sink.close();
      redis.disconnect();
    },
  };
}
