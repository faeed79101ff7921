import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { AlertsConfig } from '../config/rotor-config.js';
import type { AlertEvent } from '../domain/alert-events.js';
import { type Redactor, redactStrings } from '../domain/secret-redactor.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { DELIVER_JOB, type DeliveryPayload } from './alert-jobs.js';

export type AlertInput = Omit<AlertEvent, 'id' | 'time'> & {
  /** A stable id makes a repeated event (the same expiry seen by every sweep) one delivery. */
  readonly id?: string;
};

export interface AlertSink {
  /** How close an expiry raises credential.expiring. */
  readonly expiringWithinMs: number;
  publish(event: AlertInput): Promise<void>;
}

const KEEP_DELIVERED = { age: 30 * 24 * 3600, count: 5_000 };

/**
 * Queues one delivery per subscribed endpoint. Never throws: an alert that cannot even be queued is logged,
 * and the rotation that raised it carries on.
 */
export class AlertPublisher implements AlertSink {
  readonly #queue: Queue;
  readonly #config: AlertsConfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #redactor: Redactor | undefined;

  readonly expiringWithinMs: number;

  constructor(
    queue: Queue,
    config: AlertsConfig,
    options: { clock: Clock; log: Logger; redactor?: Redactor | undefined },
  ) {
    this.expiringWithinMs = config.expiringWithinMs;
    this.#queue = queue;
    this.#config = config;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#redactor = options.redactor;
  }

  async publish(input: AlertInput): Promise<void> {
    const built: AlertEvent = {
      ...input,
      id: input.id ?? `evt_${randomUUID()}`,
      time: new Date(this.#clock.now()).toISOString(),
    };
    // The event is stored in Redis (the delivery job) and sent: secret values go before either.
    const event = this.#redactor === undefined ? built : redactStrings(built, this.#redactor);
    for (const endpoint of this.#config.endpoints) {
      if (!endpoint.events.has(event.type)) continue;
      const payload: DeliveryPayload = { endpoint: endpoint.name, event };
      try {
        await this.#queue.add(DELIVER_JOB, payload, {
          // BullMQ job ids may not contain ":".
          jobId: `${event.id}@${endpoint.name}`,
          attempts: endpoint.attempts,
          backoff: { type: 'exponential', delay: 1_000 },
          removeOnComplete: KEEP_DELIVERED,
          // Failed deliveries stay as dead ones, visible in status and metrics.
          removeOnFail: { count: 1_000 },
          stackTraceLimit: 0,
        });
      } catch (error) {
        this.#log.error(
          { err: error, endpoint: endpoint.name, event: event.type, policyId: event.policyId },
          'could not queue an alert delivery',
        );
      }
    }
  }
}
