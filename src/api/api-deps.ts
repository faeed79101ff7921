import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ApiTokenConfig, PolicyConfig } from '../config/rotor-config.js';
import type { ConsumerStateStore } from '../consumers/consumer-state.js';
import type { Redactor } from '../domain/secret-redactor.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { CorruptJobLog } from '../queue/corrupt-jobs.js';
import type { SecretSink } from '../sinks/sink.js';
import type { RedisStateStore } from '../state/redis-state-store.js';
import type { RunHistory } from '../state/run-history.js';

/** What the HTTP API reads and does: the same state and queue the daemon uses, never provider internals. */
export interface ApiDeps {
  readonly redis: Redis;
  readonly queue: Queue;
  readonly records: RedisStateStore;
  readonly history: RunHistory;
  /** The policies' consumers: their confirmations (the ack route writes them), reload outcomes and holds. */
  readonly consumers: ConsumerStateStore;
  readonly sink: SecretSink;
  readonly policies: ReadonlyMap<string, PolicyConfig>;
  readonly tokens: readonly ApiTokenConfig[];
  /** The queues shown by the dashboard at /admin/queues; absent = no dashboard. */
  readonly dashboard?: { readonly queues: readonly Queue[]; readonly readOnly: boolean };
  /** Served at /metrics. */
  readonly metrics: Registry;
  /** Why rotor's state is being rebuilt after Redis lost it, or undefined while it is not. */
  readonly stateRecovery?: () => string | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  /** Removes secret values from every response body (the dashboard's and /metrics included). */
  readonly redactor?: Redactor;
  /** Logs each corrupt job a status read skipped, once. */
  readonly corruptJobs: CorruptJobLog;
}
