import type { Redis } from 'ioredis';
import { z } from 'zod';
import { RotationError } from '../domain/errors.js';
import type { CredentialJournal, JournalEntry } from '../engine/ports.js';
import { LuaScript } from '../lib/lua-script.js';
import { decryptJournal, encryptJournal, type JournalKeys } from './journal-cipher.js';
import { stateKeys } from './redis-keys.js';

const storedSchema = z.strictObject({
  runId: z.string(),
  issueAttempt: z.number().int().positive(),
  envelope: z.string(),
});

// Writes unless the slot holds another run's (or attempt's) credential; returns 0 in that case.
const PUT_UNLESS_OTHER = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if stored then
  local entry = cjson.decode(stored)
  if entry.runId ~= ARGV[1] or entry.issueAttempt ~= tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[3])
return 1`);

// Deletes only the entry of the given run.
const DELETE_IF_RUN = new LuaScript(`
local stored = redis.call('GET', KEYS[1])
if stored and cjson.decode(stored).runId == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

const aadFor = (policyId: string, runId: string, issueAttempt: number) =>
  `${policyId}#${runId}#${issueAttempt}`;

/**
 * Issued credentials between `issue` and `stage`, encrypted, one slot per policy: any later run of the policy
 * finds a credential an earlier run issued but never staged, and stages it instead of issuing again.
 */
export class Journal implements CredentialJournal {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #keys: JournalKeys;
  readonly #activeKeyId: string;

  constructor(redis: Redis, options: { prefix: string; keys: JournalKeys; activeKeyId: string }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#keys = options.keys;
    this.#activeKeyId = options.activeKeyId;
  }

  async put(policyId: string, entry: JournalEntry): Promise<void> {
    const envelope = encryptJournal(
      entry.credential,
      aadFor(policyId, entry.runId, entry.issueAttempt),
      this.#keys,
      this.#activeKeyId,
    );
    const stored = JSON.stringify({ runId: entry.runId, issueAttempt: entry.issueAttempt, envelope });
    const written = await PUT_UNLESS_OTHER.run(
      this.#redis,
      [stateKeys.journal(this.#prefix, policyId)],
      [entry.runId, String(entry.issueAttempt), stored],
    );
    if (written !== 1) {
      throw new RotationError(
        'protocol',
        `policy ${policyId}: the journal already holds another run's unstaged credential`,
        {
          policyId,
          step: 'journal',
        },
      );
    }
  }

  async get(policyId: string): Promise<JournalEntry | undefined> {
    const text = await this.#redis.get(stateKeys.journal(this.#prefix, policyId));
    if (text === null) return undefined;
    let stored: z.infer<typeof storedSchema>;
    try {
      stored = storedSchema.parse(JSON.parse(text));
    } catch {
      throw new RotationError('protocol', `policy ${policyId}: its journal entry is corrupt`, {
        policyId,
        step: 'journal',
      });
    }
    const credential = decryptJournal(
      stored.envelope,
      aadFor(policyId, stored.runId, stored.issueAttempt),
      this.#keys,
    );
    return { runId: stored.runId, issueAttempt: stored.issueAttempt, credential };
  }

  async delete(policyId: string, runId: string): Promise<void> {
    await DELETE_IF_RUN.run(this.#redis, [stateKeys.journal(this.#prefix, policyId)], [runId]);
  }
}
