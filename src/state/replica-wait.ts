import type { Redis } from 'ioredis';
import type { ReplicaWaitConfig } from '../config/rotor-config.js';
import type { ReplicaAcknowledgement } from '../engine/ports.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';

/** How long `auto` trusts the master's count of connected replicas. */
const REPLICA_COUNT_FOR_MS = 5_000;

export interface ReplicaWaitOptions {
  readonly config: ReplicaWaitConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onTimeout?: (what: string) => void;
}

/**
 * `WAIT 1 <timeout>` on the connection that made the writes: Redis answers how many replicas hold every write
 * this connection made so far (replication is one ordered stream, so that covers the earlier writes of other
 * runs too). The connection should carry nothing that cannot wait: WAIT holds it until a replica answers.
 *
 * `auto` waits while the master reports a connected replica — a lagging or partitioned one included, which
 * the master keeps counting until its `repl-timeout` — and not on a master that has none (a single Redis, or
 * a new master whose old one has not come back yet): there, waiting could only stop every rotation.
 */
export class ReplicaWait implements ReplicaAcknowledgement {
  readonly #redis: Redis;
  readonly #options: ReplicaWaitOptions;
  #replicas: number | undefined;
  #countedAt = Number.NEGATIVE_INFINITY;

  constructor(redis: Redis, options: ReplicaWaitOptions) {
    this.#redis = redis;
    this.#options = options;
  }

  async acknowledged(what: string): Promise<boolean> {
    if (!(await this.#enabled())) return true;
    const { timeoutMs } = this.#options.config;
    const replicas = Number(await this.#redis.call('WAIT', '1', String(timeoutMs)));
    if (replicas >= 1) return true;
    this.#options.onTimeout?.(what);
    this.#options.log.warn(
      { waitedFor: what, timeoutMs },
      'no Redis replica acknowledged the write within redis.replicaWait.timeout',
    );
    return false;
  }

  async #enabled(): Promise<boolean> {
    const { mode } = this.#options.config;
    if (mode !== 'auto') return mode === 'on';
    const now = this.#options.clock.now();
    if (now - this.#countedAt >= REPLICA_COUNT_FOR_MS) {
      this.#countedAt = now;
      const info = await this.#redis.info('replication');
      const counted = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
      if (this.#replicas !== undefined && counted > 0 !== this.#replicas > 0) {
        this.#options.log.warn(
          { replicas: counted },
          counted > 0
            ? 'the Redis master has a replica again: runs wait for it to acknowledge their writes'
            : 'the Redis master reports no replica: runs no longer wait for one (a failover now would lose their last writes)',
        );
      }
      this.#replicas = counted;
    }
    return (this.#replicas ?? 0) > 0;
  }
}
