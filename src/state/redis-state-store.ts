import type { Redis } from 'ioredis';
import { RotationError } from '../domain/errors.js';
import { emptyRecord, type PolicyRecord, policyRecordSchema } from '../domain/policy-record.js';
import type { RecordStore, UpdateOptions } from '../engine/ports.js';
import { LuaScript } from '../lib/lua-script.js';
import { stateKeys } from './redis-keys.js';

const MAX_CONFLICT_RETRIES = 10;
const MGET_BATCH = 1_000;

// Writes the record only if the stored revision is still the one the change was computed from, and — when the
// writer names itself (ARGV[3]) — only if the record's in-flight run is the writer's or its owner's job lock is
// gone (the fence: two jobs never work on one policy's run at once). 0: conflict, -1: fenced.
const COMPARE_AND_SET = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
local revision = 0
if stored then
  local record = cjson.decode(stored)
  revision = record.revision
  local inFlight = record.inFlight
  if ARGV[3] ~= '' and type(inFlight) == 'table' and type(inFlight.owner) == 'string'
    and inFlight.owner ~= ARGV[3]
    and redis.call('EXISTS', ARGV[4] .. inFlight.owner .. ARGV[5]) == 1 then
    return -1
  end
end
if revision ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`);

/** Where the job lock of a run's owner lives: `<before><job id><after>` (BullMQ's `<prefix>:<queue>:<id>:lock`). */
export interface OwnerLockKeys {
  readonly before: string;
  readonly after: string;
}

/**
 * Per-policy rotation records, one JSON string per policy. Updates are optimistic: a change is computed from the
 * record read, and written only if nobody wrote in between (else recomputed from the fresh record).
 */
export class RedisStateStore implements RecordStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ownerLock: OwnerLockKeys;

  constructor(redis: Redis, prefix: string, ownerLock: OwnerLockKeys) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#ownerLock = ownerLock;
  }

  async get(policyId: string): Promise<PolicyRecord> {
    const stored = await this.#redis.get(stateKeys.record(this.#prefix, policyId));
    return stored === null ? emptyRecord(policyId) : parseRecord(policyId, stored);
  }

  /**
   * Many records in a few round trips (MGET in batches), for views of the whole fleet. A record that cannot be
   * read is left out; `get` reports it.
   */
  async getMany(policyIds: readonly string[]): Promise<Map<string, PolicyRecord>> {
    const records = new Map<string, PolicyRecord>();
    for (let start = 0; start < policyIds.length; start += MGET_BATCH) {
      const batch = policyIds.slice(start, start + MGET_BATCH);
      const stored = await this.#redis.mget(batch.map((id) => stateKeys.record(this.#prefix, id)));
      batch.forEach((policyId, i) => {
        const text = stored[i];
        if (text === null || text === undefined) {
          records.set(policyId, emptyRecord(policyId));
          return;
        }
        try {
          records.set(policyId, parseRecord(policyId, text));
        } catch {
          // Left out: the caller falls back to get(), which names the corrupt record.
        }
      });
    }
    return records;
  }

  async update(
    policyId: string,
    change: (record: PolicyRecord) => PolicyRecord,
    options: UpdateOptions = {},
  ): Promise<PolicyRecord> {
    const key = stateKeys.record(this.#prefix, policyId);
    const { known, owner } = options;
    let assumed = known?.policyId === policyId ? known : undefined;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const record = assumed ?? (await this.get(policyId));
      assumed = undefined;
      const next: PolicyRecord = { ...change(record), policyId, revision: record.revision + 1 };
      const written = await COMPARE_AND_SET.run(
        this.#redis,
        [key],
        [
          String(record.revision),
          JSON.stringify(next),
          owner ?? '',
          this.#ownerLock.before,
          this.#ownerLock.after,
        ],
      );
      if (written === 1) return next;
      if (written === -1) {
        throw new RotationError(
          'busy',
          `policy ${policyId}: another job is working on its run (it holds its job lock); this one waits`,
          { policyId },
        );
      }
    }
    throw new RotationError(
      'transient',
      `policy ${policyId}: its record kept changing under concurrent updates`,
      { policyId },
    );
  }

  async remove(policyId: string): Promise<void> {
    await this.#redis.del(stateKeys.record(this.#prefix, policyId));
  }
}

function parseRecord(policyId: string, stored: string): PolicyRecord {
  let parsed: ReturnType<typeof policyRecordSchema.safeParse> | undefined;
  try {
    parsed = policyRecordSchema.safeParse(JSON.parse(stored));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) {
    throw new RotationError(
      'protocol',
      `policy ${policyId}: its record in Redis is corrupt (not one rotor wrote)`,
      { policyId },
    );
  }
  return parsed.data;
}
