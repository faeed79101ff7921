import type { Redis } from 'ioredis';
import { RotationError } from '../domain/errors.js';
import { emptyRecord, type PolicyRecord, policyRecordSchema } from '../domain/policy-record.js';
import type { RecordStore, RunState, UpdateOptions } from '../engine/ports.js';
import type { Journal } from './journal.js';
import { type OwnerLockKeys, type RecordWrite, writeRecord } from './record-write.js';
import { stateKeys } from './redis-keys.js';
import { DEFAULT_HISTORY_CAP } from './run-history.js';

const MAX_CONFLICT_RETRIES = 10;
const MGET_BATCH = 1_000;

export interface StateStoreOptions {
  /** Where a run owner's job lock lives (the fence). */
  readonly ownerLock: OwnerLockKeys;
  /** The journal slot's format (encrypted): the store fills and clears it with the run's checkpoints. */
  readonly journal: Journal;
  readonly historyCap?: number;
}

/**
 * Per-policy rotation records, one JSON string per policy, with the policy's journal slot and run history
 * written in the same atomic step as the record when a checkpoint carries them. Updates are optimistic: a
 * change is computed from the record read, and written only if nobody wrote in between (else recomputed from
 * the fresh record).
 */
export class RedisStateStore implements RecordStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #options: StateStoreOptions;

  constructor(redis: Redis, prefix: string, options: StateStoreOptions) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#options = options;
  }

  async get(policyId: string): Promise<PolicyRecord> {
    const stored = await this.#redis.get(stateKeys.record(this.#prefix, policyId));
    return stored === null ? emptyRecord(policyId) : parseRecord(policyId, stored);
  }

  /** The record and the journal slot in one command (MGET): one consistent view. */
  async getRun(policyId: string): Promise<RunState> {
    const { journal } = this.#options;
    const [record, slot] = await this.#redis.mget(
      stateKeys.record(this.#prefix, policyId),
      journal.key(policyId),
    );
    return {
      record: typeof record === 'string' ? parseRecord(policyId, record) : emptyRecord(policyId),
      journaled: () => (typeof slot === 'string' ? journal.decode(policyId, slot) : undefined),
    };
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
    const { known } = options;
    const companions = this.#companions(policyId, options);
    let assumed = known?.policyId === policyId ? known : undefined;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const record = assumed ?? (await this.get(policyId));
      assumed = undefined;
      const next: PolicyRecord = { ...change(record), policyId, revision: record.revision + 1 };
      const outcome = await writeRecord(this.#redis, {
        ...companions,
        expectedRevision: record.revision,
        record: JSON.stringify(next),
      });
      if (outcome === 'written') return next;
      if (outcome === 'fenced') {
        throw new RotationError(
          'busy',
          `policy ${policyId}: another job is working on its run (it holds its job lock); this one waits`,
          { policyId },
        );
      }
      if (outcome === 'lock-lost') {
        throw new RotationError(
          'transient',
          `policy ${policyId}: this job no longer holds its job lock (it expired, and another worker may own the run); nothing was written`,
          { policyId },
        );
      }
      if (outcome === 'journal-taken') {
        throw new RotationError(
          'protocol',
          `policy ${policyId}: the journal already holds another run's unstaged credential`,
          { policyId, step: 'journal' },
        );
      }
    }
    throw new RotationError(
      'transient',
      `policy ${policyId}: its record kept changing under concurrent updates`,
      { policyId },
    );
  }

  /** What a write carries beside the record: its keys, fences, journal slot change and history entry. */
  #companions(policyId: string, options: UpdateOptions): Omit<RecordWrite, 'expectedRevision' | 'record'> {
    const { journal, ownerLock, historyCap = DEFAULT_HISTORY_CAP } = this.#options;
    const change = options.journal;
    return {
      keys: {
        record: stateKeys.record(this.#prefix, policyId),
        journal: journal.key(policyId),
        history: stateKeys.history(this.#prefix, policyId),
      },
      owner: options.owner,
      ownerLock,
      lockToken: options.lockToken,
      journal:
        change === undefined
          ? undefined
          : 'put' in change
            ? {
                put: {
                  runId: change.put.runId,
                  issueAttempt: change.put.issueAttempt,
                  stored: journal.encode(policyId, change.put),
                },
              }
            : { clearRun: change.clearRun },
      history:
        options.history === undefined
          ? undefined
          : { entry: JSON.stringify(options.history), cap: historyCap },
    };
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
