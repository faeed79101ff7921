import type { Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PolicyConfig } from '../config/rotor-config.js';
import { confirmingConsumers } from '../consumers/consumer-gate.js';
import type { ConsumerStateStore } from '../consumers/consumer-state.js';
import { consumersView } from '../consumers/consumer-view.js';
import type { PolicyRecord } from '../domain/policy-record.js';
import { type FleetView, readFleet } from '../queue/fleet-view.js';
import type { RollbackOutcome, RunMetrics, RunOutcome } from '../queue/run-metrics.js';
import type { RedisStateStore } from '../state/redis-state-store.js';

/** What the daemon tells the metrics as it works: the runs' outcomes, and its calls and waits. */
export interface RotationMetrics extends RunMetrics {
  providerCall(call: { system: string; operation: string; status: number | undefined }): void;
  /** A call passed one of rotor's client-side rate limits after waiting this long for its turn. */
  rateLimitPassed(limit: string, waitedMs: number): void;
  /** No Redis replica acknowledged a run's write in time (WAIT timed out). */
  replicaWaitTimedOut(waitedFor: string): void;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;
/** The per-policy gauges of one scrape share one read of the fleet. */
const FLEET_READ_SHARED_MS = 1_000;
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/**
 * rotor's Prometheus metrics. Counters and the duration histogram are fed as runs finish; the per-policy
 * timestamps and queue depths are read from Redis at scrape time, so every replica reports the same truth.
 */
export class RotorMetrics implements RotationMetrics {
  readonly registry = new Registry();
  readonly #rotations: Counter<'policy' | 'provider' | 'outcome'>;
  readonly #duration: Histogram<'policy' | 'provider'>;
  readonly #providerRequests: Counter<'provider' | 'operation' | 'status'>;
  readonly #webhookDeliveries: Counter<'endpoint' | 'outcome'>;
  readonly #orphansDeleted: Counter<'policy' | 'provider'>;
  readonly #rollbacks: Counter<'policy' | 'provider' | 'outcome'>;
  readonly #startLateness: Histogram<'trigger'>;
  readonly #rateLimitWait: Histogram<'limit'>;
  readonly #replicaWaitTimeouts: Counter<'waited_for'>;

  constructor(source: {
    readonly queue: Queue;
    readonly records: RedisStateStore;
    readonly policies: readonly PolicyConfig[];
    /** The alert deliveries' queue, when alerts are configured. */
    readonly alertQueue?: () => Queue | undefined;
    /** The policies' consumer states, for the consumers that have not confirmed the current version. */
    readonly consumers?: ConsumerStateStore;
  }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    let fleetRead: { readonly at: number; readonly view: Promise<FleetView> } | undefined;
    const fleet = (): Promise<FleetView> => {
      const now = Date.now();
      if (fleetRead === undefined || now - fleetRead.at > FLEET_READ_SHARED_MS) {
        const view = readFleet(source.queue, source.records, source.policies);
        // A failed read is not kept: the next scrape reads again.
        view.catch(() => {
          fleetRead = undefined;
        });
        fleetRead = { at: now, view };
      }
      return fleetRead.view;
    };
    this.#rotations = new Counter({
      name: 'rotor_rotations_total',
      help: 'Rotation attempts by outcome (succeeded, failed for good, retrying, delayed by a rate limit)',
      labelNames: ['policy', 'provider', 'outcome'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'rotor_rotation_duration_seconds',
      help: 'Duration of rotation attempts',
      labelNames: ['policy', 'provider'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.#providerRequests = new Counter({
      name: 'rotor_provider_requests_total',
      help: 'HTTP calls to vendor APIs by status (network-error when none came)',
      labelNames: ['provider', 'operation', 'status'],
      registers,
    });
    this.#startLateness = new Histogram({
      name: 'rotor_scheduled_start_lateness_seconds',
      help: 'How late scheduled and before-expiry runs started their first attempt, against due time plus jitter offset',
      labelNames: ['trigger'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.#rateLimitWait = new Histogram({
      name: 'rotor_rate_limit_wait_seconds',
      help: "How long calls waited for their turn at rotor's client-side rate limits (connection:<name>, the AWS write quota)",
      labelNames: ['limit'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const perPolicy = (
      name: string,
      help: string,
      pick: (policy: PolicyConfig, record: PolicyRecord, view: FleetView) => number | undefined,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['policy'],
        registers,
        async collect() {
          this.reset();
          const view = await fleet();
          for (const policy of source.policies) {
            const value = seconds(pick(policy, await view.record(policy.id), view));
            if (value !== undefined) this.set({ policy: policy.id }, value);
          }
        },
      });
    perPolicy(
      'rotor_last_success_timestamp_seconds',
      'When the policy last rotated successfully',
      (_policy, record) => record.lastSuccessAt,
    );
    perPolicy(
      'rotor_next_rotation_timestamp_seconds',
      'When the next rotation is due (a jittered one starts its offset later)',
      (policy, _record, view) => view.nextRunAt(policy),
    );
    perPolicy(
      'rotor_credential_expiry_timestamp_seconds',
      'When the current credential expires',
      (_policy, record) => record.current?.expiresAt,
    );
    const confirming = source.policies.filter((policy) => confirmingConsumers(policy.consumers).length > 0);
    const { consumers } = source;
    if (consumers !== undefined && confirming.length > 0)
      new Gauge({
        name: 'rotor_consumers_unconfirmed',
        help: 'Consumers of the policy that have not confirmed its current version',
        labelNames: ['policy'],
        registers,
        async collect() {
          this.reset();
          const [view, states] = await Promise.all([
            fleet(),
            consumers.readMany(confirming.map((policy) => policy.id)),
          ]);
          for (const policy of confirming) {
            const state = states.get(policy.id);
            if (state === undefined) continue;
            const record = await view.record(policy.id);
            const shown = consumersView(policy.consumers, record.current?.versionId, state);
            if (shown !== undefined) this.set({ policy: policy.id }, shown.unconfirmed);
          }
        },
      });
    this.#rollbacks = new Counter({
      name: 'rotor_rollbacks_total',
      help: 'Rollback jobs by how they ended (rolled-back, refused with nothing changed, failed for good)',
      labelNames: ['policy', 'provider', 'outcome'],
      registers,
    });
    this.#orphansDeleted = new Counter({
      name: 'rotor_orphans_deleted_total',
      help: 'Credentials rotor made that were neither current, previous nor in flight, deleted by the orphan sweep',
      labelNames: ['policy', 'provider'],
      registers,
    });
    this.#replicaWaitTimeouts = new Counter({
      name: 'rotor_redis_replica_wait_timeouts_total',
      help: 'Writes of a run that no Redis replica acknowledged within redis.replicaWait.timeout, by what was written',
      labelNames: ['waited_for'],
      registers,
    });
    this.#webhookDeliveries = new Counter({
      name: 'rotor_webhook_deliveries_total',
      help: 'Alert webhook delivery attempts: delivered, retrying, dead (after the last attempt)',
      labelNames: ['endpoint', 'outcome'],
      registers,
    });
    new Gauge({
      name: 'rotor_webhook_dead_deliveries',
      help: 'Alert deliveries kept as dead (failed after their last attempt)',
      registers,
      async collect() {
        const queue = source.alertQueue?.();
        this.set(queue ? await queue.getFailedCount() : 0);
      },
    });
    new Gauge({
      name: 'rotor_queue_jobs',
      help: 'Jobs in rotor’s queue by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await source.queue.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
  }

  runFinished(policy: PolicyConfig, outcome: RunOutcome, durationMs: number): void {
    const labels = { policy: policy.id, provider: policy.connection.provider.id };
    this.#rotations.inc({ ...labels, outcome });
    this.#duration.observe(labels, durationMs / 1000);
  }

  rollbackFinished(policy: PolicyConfig, outcome: RollbackOutcome): void {
    this.#rollbacks.inc({ policy: policy.id, provider: policy.connection.provider.id, outcome });
  }

  orphanDeleted(policy: PolicyConfig): void {
    this.#orphansDeleted.inc({ policy: policy.id, provider: policy.connection.provider.id });
  }

  webhookDelivery(endpoint: string, outcome: 'delivered' | 'retrying' | 'dead'): void {
    this.#webhookDeliveries.inc({ endpoint, outcome });
  }

  scheduledRunStarted(trigger: 'schedule' | 'expiry', latenessMs: number): void {
    this.#startLateness.observe({ trigger }, latenessMs / 1000);
  }

  rateLimitPassed(limit: string, waitedMs: number): void {
    this.#rateLimitWait.observe({ limit }, waitedMs / 1000);
  }

  replicaWaitTimedOut(waitedFor: string): void {
    this.#replicaWaitTimeouts.inc({ waited_for: waitedFor });
  }

  providerCall(call: { system: string; operation: string; status: number | undefined }): void {
    this.#providerRequests.inc({
      provider: call.system,
      operation: call.operation,
      status: call.status === undefined ? 'network-error' : String(call.status),
    });
  }
}
