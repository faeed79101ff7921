import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { stateKeys } from './redis-keys.js';

/** The marker a daemon found or wrote: `fresh` when no marker was there (a first start, or Redis forgot). */
export interface Generation {
  readonly id: string;
  readonly fresh: boolean;
}

/**
 * A random id written once when rotor's state is set up in Redis. Every replica keeps the id it saw; a
 * missing or different marker later means Redis lost rotor's state under the daemon (a restart without
 * persistence, FLUSHALL, a failover to a replica that never had it, another prefix).
 */
export class GenerationMarker {
  readonly #redis: Redis;
  readonly #key: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#key = stateKeys.generation(prefix);
  }

  /** The marker in Redis, written first if there is none: exactly one of racing replicas writes it. */
  async claim(): Promise<Generation> {
    const id = randomUUID();
    const [[, written], [, stored]] = ((await this.#redis
      .multi()
      .set(this.#key, id, 'NX')
      .get(this.#key)
      .exec()) ?? []) as [[unknown, unknown], [unknown, unknown]];
    return { id: typeof stored === 'string' ? stored : id, fresh: written === 'OK' };
  }

  /** The marker now in Redis (null: there is none). */
  read(): Promise<string | null> {
    return this.#redis.get(this.#key);
  }
}
