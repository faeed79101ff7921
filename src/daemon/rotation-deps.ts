import type { AlertSink } from '../alerts/alert-publisher.js';
import type { PolicyConfig, RotorConfig } from '../config/rotor-config.js';
import type { SecretRedactor } from '../domain/secret-redactor.js';
import type { StepObserver } from '../engine/ports.js';
import type { Clock } from '../lib/clock.js';
import { createHttpClientFactory } from '../lib/http-client.js';
import type { Logger } from '../lib/logger.js';
import type { RotationMetrics } from '../metrics/rotor-metrics.js';
import { CorruptJobLog } from '../queue/corrupt-jobs.js';
import { recordRebuilder } from '../queue/record-rebuild.js';
import type { ProcessorDeps } from '../queue/rotation-processor.js';
import { connectionHttp } from '../rate-limit/connection-http.js';
import { RedisRateLimiter } from '../rate-limit/redis-rate-limiter.js';
import { createAwsSecretsManagerSink } from '../sinks/aws-secrets-manager/aws-sm.sink.js';
import { ReplicaWait } from '../state/replica-wait.js';
import type { RedisInfrastructure } from './redis-infrastructure.js';

export interface RotationWiring {
  readonly deps: ProcessorDeps;
  close(): void;
}

/** Builds everything a rotation needs from the parsed config and the Redis connections. */
export function wireRotations(
  config: RotorConfig,
  infra: RedisInfrastructure,
  options: {
    readonly clock: Clock;
    readonly log: Logger;
    readonly observe?: StepObserver;
    readonly metrics?: RotationMetrics;
    readonly alerts?: AlertSink;
    readonly redactor?: SecretRedactor;
  },
): RotationWiring {
  const { metrics } = options;
  const limiter = new RedisRateLimiter(infra.redis, {
    prefix: config.redis.prefix,
    ...(metrics === undefined ? {} : { onPass: (key, waitedMs) => metrics.rateLimitPassed(key, waitedMs) }),
  });
  const sink = createAwsSecretsManagerSink(config.sink, { clock: options.clock, limiter });
  const policies = new Map<string, PolicyConfig>(config.policies.map((policy) => [policy.id, policy]));
  // The runs' records (with the journal slots and history their writes carry) on a connection of their own: a
  // WAIT for a replica holds the connection it is sent on, and must not hold the API's, the metrics' or the
  // rate limiter's commands meanwhile.
  const runWrites = infra.connection({ enableAutoPipelining: true });
  const records = infra.recordsOn(runWrites);
  const replicaWait = config.redis.replicaWait;
  const rebuild = recordRebuilder({
    records,
    sink,
    queue: infra.queue,
    clock: options.clock,
    log: options.log,
  });
  return {
    deps: {
      rebuild,
      queue: infra.queue,
      policies,
      sink,
      records,
      ...(replicaWait === undefined || replicaWait.mode === 'off'
        ? {}
        : {
            replicas: new ReplicaWait(runWrites, {
              config: replicaWait,
              clock: options.clock,
              log: options.log,
              ...(metrics === undefined
                ? {}
                : { onTimeout: (what: string) => metrics.replicaWaitTimedOut(what) }),
            }),
          }),
      http: connectionHttp(
        (timeoutMs) =>
          createHttpClientFactory({
            timeoutMs,
            ...(metrics === undefined ? {} : { onCall: (call) => metrics.providerCall(call) }),
          }),
        limiter,
      ),
      clock: options.clock,
      log: options.log,
      corruptJobs: new CorruptJobLog(options.log),
      consumers: infra.consumers,
      ...(options.observe === undefined ? {} : { observe: options.observe }),
      ...(metrics === undefined ? {} : { metrics }),
      ...(options.alerts === undefined ? {} : { alerts: options.alerts }),
      ...(options.redactor === undefined ? {} : { redactor: options.redactor }),
    },
    close: () => {
      sink.close();
      runWrites.disconnect();
    },
  };
}
