import type { Redis } from 'ioredis';
import type { RunHistoryLog } from '../engine/ports.js';
import { type RunHistoryEntry, runHistoryEntrySchema } from './policy-record.js';
import { stateKeys } from './redis-keys.js';

export const DEFAULT_HISTORY_CAP = 50;

/** A capped, newest-first list of a policy's finished runs. */
export class RunHistory implements RunHistoryLog {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #cap: number;

  constructor(redis: Redis, prefix: string, cap = DEFAULT_HISTORY_CAP) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#cap = cap;
  }

  async append(policyId: string, entry: RunHistoryEntry): Promise<void> {
    const key = stateKeys.history(this.#prefix, policyId);
    await this.#redis
      .multi()
      .lpush(key, JSON.stringify(entry))
      .ltrim(key, 0, this.#cap - 1)
      .exec();
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
