import { Worker } from 'bullmq';
import type { PolicyConfig, RotorConfig } from '../config/rotor-config.js';
import type { StepObserver } from '../engine/ports.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { RotorMetrics } from '../metrics/rotor-metrics.js';
import { BACKOFF_TYPE, backoffDelay } from '../queue/failure-policy.js';
import { firingRepeatStrategy } from '../queue/jittered-firing.js';
import { scheduleOrphanSweep } from '../queue/orphan-sweep-schedule.js';
import { ROTATION_QUEUE } from '../queue/queue-name.js';
import { createRotationProcessor } from '../queue/rotation-processor.js';
import { reconcileSchedulers } from '../queue/scheduler-reconcile.js';
import { GenerationMarker } from '../state/generation-marker.js';
import { type Alerting, scheduleAlertSweep, startAlerting } from './alerting.js';
import { startApi } from './api-listener.js';
import { connectRedis } from './redis-infrastructure.js';
import { redisLocation } from './redis-location.js';
import { wireRotations } from './rotation-deps.js';
import { rebuildUnrecorded, startupRuns } from './startup-runs.js';
import { StateWatch } from './state-watch.js';

export interface DaemonOptions {
  readonly log: Logger;
  readonly clock?: Clock;
  readonly observe?: StepObserver;
}

export interface Daemon {
  /** Where the HTTP API listens (`http://host:port`), when the config has an `api` section. */
  readonly apiUrl: string | undefined;
  /** Stops taking jobs, lets in-flight steps finish, closes connections. */
  stop(): Promise<void>;
}

/**
 * The composition root of `rotor start`: reconciles the schedulers, starts the worker and rotates at once
 * only the policies whose secret does not exist yet.
 */
export async function startDaemon(config: RotorConfig, options: DaemonOptions): Promise<Daemon> {
  const clock = options.clock ?? systemClock;
  const { log } = options;
  const infra = connectRedis(config);
  let alerting: Alerting | undefined;
  const metrics = new RotorMetrics({
    queue: infra.queue,
    records: infra.records,
    policies: config.policies,
    alertQueue: () => alerting?.queue,
  });
  alerting = await startAlerting(config, infra, { clock, log, metrics });
  const wiring = wireRotations(config, infra, {
    clock,
    log,
    metrics,
    ...(alerting === undefined ? {} : { alerts: alerting.publisher }),
    ...(options.observe === undefined ? {} : { observe: options.observe }),
  });
  const { deps } = wiring;

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
    if (alerting) await scheduleAlertSweep(infra.queue);
  };
  const where = redisLocation(config.redis);
  const stopping = new AbortController();
  const rebuilds = new Set<Promise<void>>();
  /** Rebuilds lost records a few at a time; the API and the rotations the worker takes do not wait for it. */
  const rebuildInBackground = (unrecorded: readonly PolicyConfig[], atStart = false): void => {
    if (unrecorded.length === 0) return;
    const pass = rebuildUnrecorded(unrecorded, deps, stopping.signal).then((outcome) => {
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
  const freshRedis = await watch.start();
  await reconcileSchedules();

  const worker = new Worker(ROTATION_QUEUE, createRotationProcessor(deps), {
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
  });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));

  rebuildInBackground(await startupRuns(config.policies, deps), freshRedis);
  infra.redis.on('ready', () => void watch.check());
  const api = config.api
    ? await startApi(config.api, {
        redis: infra.redis,
        queue: infra.queue,
        records: infra.records,
        history: infra.history,
        sink: deps.sink,
        policies: deps.policies,
        tokens: config.api.tokens,
        metrics: metrics.registry,
        stateRecovery: () => watch.recovering(),
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
      })
    : undefined;
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
      log.info('stopped');
    },
  };
}
