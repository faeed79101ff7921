import { configSecrets } from '../config/config-secrets.js';
import type { RotorConfig } from '../config/rotor-config.js';
import { SecretRedactor } from '../domain/secret-redactor.js';
import type { StepObserver } from '../engine/ports.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { connectedServer } from '../lib/redis-peer.js';
import { RotorMetrics } from '../metrics/rotor-metrics.js';
import { replanDeferredRuns } from '../queue/deferred-runs.js';
import { BACKOFF_TYPE, backoffDelay } from '../queue/failure-policy.js';
import { firingRepeatStrategy } from '../queue/jittered-firing.js';
import { scheduleOrphanSweep } from '../queue/orphan-sweep-schedule.js';
import { ROTATION_QUEUE } from '../queue/queue-name.js';
import { createRotationProcessor } from '../queue/rotation-processor.js';
import { reconcileSchedulers } from '../queue/scheduler-reconcile.js';
import { WorkerFailingUnreadableJobs } from '../queue/worker-failing-unreadable-jobs.js';
import { GenerationMarker } from '../state/generation-marker.js';
import { type Alerting, reconcileAlertSweep, startAlerting } from './alerting.js';
import { startApi } from './api-listener.js';
import { Closers } from './closers.js';
import { connectRedis } from './redis-infrastructure.js';
import { redisLocation } from './redis-location.js';
import { RedisReachability } from './redis-reachability.js';
import { wireRotations } from './rotation-deps.js';
import { type RebuildCandidate, rebuildFromAws, startupRuns } from './startup-runs.js';
import { StateWatch } from './state-watch.js';
import { reportWorkerErrors } from './worker-errors.js';

export interface DaemonOptions {
  readonly log: Logger;
  readonly clock?: Clock;
  readonly observe?: StepObserver;
  /** Redacts secret values by value from what the daemon writes (`rotor start` shares it with its logger). */
  readonly redactor?: SecretRedactor;
}

export interface Daemon {
  /** Where the HTTP API listens (`http://host:port`), when the config has an `api` section. */
  readonly apiUrl: string | undefined;
  /** Stops taking jobs, lets in-flight steps finish, closes connections. */
  stop(): Promise<void>;
}

/**
 * The composition root of `rotor start`: starts the HTTP API, waits for Redis (however long it takes; the
 * readiness probe says why meanwhile), reconciles the schedulers, starts the worker and rotates at once only
 * the policies whose secret does not exist yet.
 */
export async function startDaemon(config: RotorConfig, options: DaemonOptions): Promise<Daemon> {
  const opened = new Closers(options.log);
  try {
    return await openDaemon(config, options, opened);
  } catch (error) {
    await opened.closeAll();
    throw error;
  }
}

async function openDaemon(config: RotorConfig, options: DaemonOptions, opened: Closers): Promise<Daemon> {
  const clock = options.clock ?? systemClock;
  const { log } = options;
  const redactor = options.redactor ?? new SecretRedactor();
  // The config's secrets are redacted while this daemon runs; a reload's daemon holds its own config's.
  const heldConfigSecrets = redactor.scope();
  heldConfigSecrets.hold(configSecrets(config));
  opened.add('the config’s secrets', () => heldConfigSecrets.release());
  const where = redisLocation(config.redis);
  const infra = connectRedis(config, { reachability: new RedisReachability(where, log, clock) });
  opened.add('the Redis connections and the queue', () => infra.close());
  let alerting: Alerting | undefined;
  const metrics = new RotorMetrics({
    queue: infra.queue,
    records: infra.records,
    policies: config.policies,
    alertQueue: () => alerting?.queue,
    consumers: infra.consumers,
  });
  alerting = startAlerting(config, infra, { clock, log, metrics, redactor });
  opened.add('the alert worker', () => alerting?.close());
  const wiring = wireRotations(config, infra, {
    clock,
    log,
    metrics,
    redactor,
    ...(alerting === undefined ? {} : { alerts: alerting.publisher }),
    ...(options.observe === undefined ? {} : { observe: options.observe }),
  });
  const { deps } = wiring;
  opened.add('the rotations’ connections', () => wiring.close());

  /** Job Schedulers, the orphan and alert sweeps: at start, and again after Redis lost them. */
  const reconcileSchedules = async (): Promise<void> => {
    const counts = { created: 0, updated: 0, removed: 0, unchanged: 0 };
    for (const change of await reconcileSchedulers(infra, config.policies, clock.now())) {
      counts[change.action]++;
      if (change.action === 'unchanged') continue;
      const next = change.nextMs === undefined ? undefined : new Date(change.nextMs).toISOString();
      log.info({ policyId: change.policyId, scheduler: change.action, next }, 'schedule reconciled');
    }
    log.info(counts, 'schedules reconciled');
    if (await scheduleOrphanSweep(infra.queue, config.policies, clock.now()))
      log.info('orphan sweep scheduled hourly');
    await reconcileAlertSweep(infra.queue, alerting !== undefined);
  };
  const stopping = new AbortController();
  const rebuilds = new Set<Promise<void>>();
  /** Rebuilds lost records a few at a time; the API and the rotations the worker takes do not wait for it. */
  const rebuildInBackground = (candidates: readonly RebuildCandidate[], atStart = false): void => {
    if (candidates.length === 0) return;
    const pass = rebuildFromAws(candidates, deps, stopping.signal).then((outcome) => {
      if (outcome.rebuilt === 0) return;
      log.warn(
        { redis: where, ...outcome },
        atStart
          ? 'started on a Redis without rotor’s state while AWS holds its secrets: run records rebuilt from AWS'
          : 'run records rebuilt from AWS',
      );
    });
    rebuilds.add(pass);
    void pass.finally(() => rebuilds.delete(pass));
  };
  const watch = new StateWatch({
    marker: new GenerationMarker(infra.redis, config.redis.prefix),
    where,
    log,
    clock,
    ...(alerting === undefined ? {} : { alerts: alerting.publisher }),
    // The daemon is ready again once its schedules, timers and sweeps are back; records follow in the
    // background (and on first use), so a fleet's rebuild keeps no replica unready for long.
    recover: async () => {
      await reconcileSchedules();
      rebuildInBackground(await startupRuns(config.policies, deps));
    },
  });
  // The API answers from the start, so probes see why the daemon is not ready yet (Redis unreachable, say).
  let starting: string | undefined = 'rotor is starting: reconciling schedules and timers with Redis';
  const api = config.api
    ? await startApi(config.api, {
        redis: infra.redis,
        queue: infra.queue,
        records: infra.records,
        history: infra.history,
        consumers: infra.consumers,
        sink: deps.sink,
        policies: deps.policies,
        tokens: config.api.tokens,
        metrics: metrics.registry,
        stateRecovery: () => starting ?? watch.recovering(),
        ...(config.api.dashboard.enabled
          ? {
              dashboard: {
                queues: alerting ? [infra.queue, alerting.queue] : [infra.queue],
                readOnly: config.api.dashboard.readOnly,
              },
            }
          : {}),
        clock,
        log,
        corruptJobs: deps.corruptJobs,
        redactor,
      })
    : undefined;
  opened.add('the HTTP API', () => api?.close());
  opened.add('the state watch and the rebuilds', async () => {
    watch.stop();
    stopping.abort();
    await Promise.all(rebuilds);
  });
  const freshRedis = await watch.start();
  await reconcileSchedules();
  // A reload may have changed windows or freezes: runs waiting for them move to where they now may start.
  const replanned = await replanDeferredRuns(deps);
  if (replanned.moved > 0) log.info(replanned, 'pending runs placed by the policies’ windows');

  const worker = new WorkerFailingUnreadableJobs(
    ROTATION_QUEUE,
    createRotationProcessor(deps),
    {
      connection: infra.blockingConnection(),
      prefix: config.redis.prefix,
      concurrency: config.worker.concurrency,
      lockDuration: config.worker.lockDurationMs,
      stalledInterval: config.worker.stalledIntervalMs,
      maxStalledCount: config.worker.maxStalledCount,
      settings: {
        // The worker schedules each cron scheduler's next trigger, so it needs the queue's strategy.
        repeatStrategy: firingRepeatStrategy,
        backoffStrategy: (attemptsMade, type, _error, job) => {
          const policyId = (job?.data as { policyId?: unknown } | undefined)?.policyId;
          const policy = typeof policyId === 'string' ? deps.policies.get(policyId) : undefined;
          if (type !== BACKOFF_TYPE || !policy) return 1000;
          return backoffDelay(attemptsMade, policy.retry);
        },
      },
    },
    log,
  );
  opened.add('the rotation worker', () => worker.close());
  reportWorkerErrors(worker, 'rotation worker', { log, reachability: infra.reachability });

  // Behind Sentinel, a failover may have promoted a replica that missed the last writes (while rotor ran, or
  // while it was down): records older than AWS are rebuilt from AWS.
  const sentinel = config.redis.sentinel !== undefined;
  rebuildInBackground(await startupRuns(config.policies, deps, { checkRecorded: sentinel }), freshRedis);
  let server = connectedServer(infra.redis);
  infra.redis.on('ready', () => {
    void watch.check();
    const now = connectedServer(infra.redis);
    if (!sentinel || now === server) return;
    log.warn(
      { redis: where, from: server, to: now },
      'Redis master changed (failover): checking records against AWS',
    );
    server = now;
    void startupRuns(config.policies, deps, { checkRecorded: true }).then(
      (candidates) => rebuildInBackground(candidates),
      (error: unknown) => log.error({ err: error }, 'checking records against AWS after a failover failed'),
    );
  });
  starting = undefined;
  log.info({ policies: config.policies.length, queue: ROTATION_QUEUE, api: api?.url }, 'rotor started');

  return {
    apiUrl: api?.url,
    stop: async () => {
      log.info('stopping: waiting for in-flight steps');
      watch.stop();
      stopping.abort();
      await Promise.all(rebuilds);
      await api?.close();
      await worker.close();
      await alerting?.close();
      await infra.close();
      wiring.close();
      heldConfigSecrets.release();
      log.info('stopped');
    },
  };
}
