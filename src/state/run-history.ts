import type { Redis } from 'ioredis';
import { type RunHistoryEntry, runHistoryEntrySchema } from '../domain/policy-record.js';
import { stateKeys } from './redis-keys.js';

export const DEFAULT_HISTORY_CAP = 50;

/**
 * A capped, newest-first list of a policy's finished runs. Entries are appended by the record write that ends
 * the run (RedisStateStore: the commit, or the final failure), in the same atomic step.
 */
export class RunHistory {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #cap: number;

  constructor(redis: Redis, prefix: string, cap = DEFAULT_HISTORY_CAP) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#cap = cap;
  }

  /** Newest first; entries rotor cannot read are skipped. */
  async recent(policyId: string, limit = this.#cap): Promise<RunHistoryEntry[]> {
    const stored = await this.#redis.lrange(stateKeys.history(this.#prefix, policyId), 0, limit - 1);
    return stored.flatMap((text) => {
      try {
        const parsed = runHistoryEntrySchema.safeParse(JSON.parse(text));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
  }

  async remove(policyId: string): Promise<void> {
    await this.#redis.del(stateKeys.history(this.#prefix, policyId));
  }
}
