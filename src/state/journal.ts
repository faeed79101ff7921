import type { Redis } from 'ioredis';
import { z } from 'zod';
import { RotationError } from '../domain/errors.js';
import type { JournalEntry } from '../engine/ports.js';
import { decryptJournal, encryptJournal, type JournalKeys } from './journal-cipher.js';
import { stateKeys } from './redis-keys.js';

const storedSchema = z.strictObject({
  runId: z.string(),
  issueAttempt: z.number().int().positive(),
  envelope: z.string(),
});

const aadFor = (policyId: string, runId: string, issueAttempt: number) =>
  `${policyId}#${runId}#${issueAttempt}`;

/**
 * Issued credentials between `issue` and `stage`, encrypted, one slot per policy: any later run of the policy
 * finds a credential an earlier run issued but never staged, and stages it instead of issuing again. The slot
 * is written and cleared by the policy's record writes (RedisStateStore), in the same atomic step as the run's
 * checkpoint; this says what a slot holds.
 */
export class Journal {
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

  key(policyId: string): string {
    return stateKeys.journal(this.#prefix, policyId);
  }

  /** The slot's text for an entry: its run and attempt in the clear (the write's guard reads them), the credential encrypted. */
  encode(policyId: string, entry: JournalEntry): string {
    const envelope = encryptJournal(
      entry.credential,
      aadFor(policyId, entry.runId, entry.issueAttempt),
      this.#keys,
      this.#activeKeyId,
    );
    return JSON.stringify({ runId: entry.runId, issueAttempt: entry.issueAttempt, envelope });
  }

  /** A slot's text as its entry; a `protocol` RotationError when it is not one rotor wrote. */
  decode(policyId: string, text: string): JournalEntry {
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

  async get(policyId: string): Promise<JournalEntry | undefined> {
    const text = await this.#redis.get(this.key(policyId));
    return text === null ? undefined : this.decode(policyId, text);
  }
}
