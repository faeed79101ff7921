import { Queue, Worker } from 'bullmq';
import { ALERT_QUEUE } from '../alerts/alert-jobs.js';
import { AlertPublisher } from '../alerts/alert-publisher.js';
import { createDeliveryProcessor } from '../alerts/webhook-delivery.js';
import type { RotorConfig } from '../config/rotor-config.js';
import type { Redactor } from '../domain/secret-redactor.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { RotorMetrics } from '../metrics/rotor-metrics.js';
import { SWEEP_EVERY_MS, SWEEP_SCHEDULER_ID } from '../queue/alert-sweep.js';
import { JOB } from '../queue/job-payloads.js';
import type { RedisInfrastructure } from './redis-infrastructure.js';
import { reportWorkerErrors } from './worker-errors.js';

/**
 * The alert sweep's Job Scheduler (expiring credentials, stalled schedules), every 10 minutes; removed when
 * the config has no alerts.
 */
export async function reconcileAlertSweep(queue: Queue, alerting: boolean): Promise<void> {
  if (!alerting) {
    await queue.removeJobScheduler(SWEEP_SCHEDULER_ID);
    return;
  }
  await queue.upsertJobScheduler(
    SWEEP_SCHEDULER_ID,
    { every: SWEEP_EVERY_MS },
    { name: JOB.sweep, data: {}, opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 50 } } },
  );
}

export interface Alerting {
  readonly publisher: AlertPublisher;
  readonly queue: Queue;
  close(): Promise<void>;
}

/**
 * Alert webhooks: the publisher the rotations use and the delivery worker on its own queue (the sweep's Job
 * Scheduler is reconciled with the others). Nothing waits for Redis here: deliveries start once it answers.
 * Without an `alerts` section nothing is started.
 */
export function startAlerting(
  config: RotorConfig,
  infra: RedisInfrastructure,
  options: {
    readonly clock: Clock;
    readonly log: Logger;
    readonly metrics: RotorMetrics;
    readonly redactor?: Redactor;
  },
): Alerting | undefined {
  if (!config.alerts) return undefined;
  const { endpoints } = config.alerts;
  const queue = new Queue(ALERT_QUEUE, { connection: infra.queueConnection, prefix: config.redis.prefix });
  const log = options.log.child({ component: 'alerts' });
  const { redactor } = options;
  const publisher = new AlertPublisher(queue, config.alerts, { clock: options.clock, log, redactor });
  const worker = new Worker(ALERT_QUEUE, createDeliveryProcessor(endpoints, options.clock, redactor, log), {
    connection: infra.blockingConnection(),
    prefix: config.redis.prefix,
    concurrency: 4,
  });
  const endpointOf = (data: unknown) => String((data as { endpoint?: unknown } | undefined)?.endpoint);
  worker.on('completed', (job) => options.metrics.webhookDelivery(endpointOf(job.data), 'delivered'));
  worker.on('failed', (job, error) => {
    if (!job) return;
    const dead = job.attemptsMade >= (job.opts.attempts ?? 1);
    options.metrics.webhookDelivery(endpointOf(job.data), dead ? 'dead' : 'retrying');
    log[dead ? 'error' : 'warn'](
      {
        endpoint: endpointOf(job.data),
        deliveryId: job.id,
        attempt: job.attemptsMade,
        reason: error.message,
      },
      dead ? 'alert delivery is dead after its last attempt' : 'alert delivery failed; retrying',
    );
  });
  reportWorkerErrors(worker, 'alert worker', { log, reachability: infra.reachability });
  queue.on('error', (error) => infra.reachability.failed(error));
  return {
    publisher,
    queue,
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}
