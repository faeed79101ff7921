import { z } from 'zod';

const epochMs = z.number().int().nonnegative();

/** The AWS version a consumer last said it uses, and how it said so. */
export const confirmationSchema = z.strictObject({
  versionId: z.string().min(1).max(64),
  at: epochMs,
  via: z.enum(['ack', 'poll']),
});
export type Confirmation = z.infer<typeof confirmationSchema>;

/** The last reload hook sent to a consumer: for which version, and whether it answered 2xx. */
export const reloadStateSchema = z.strictObject({
  versionId: z.string().min(1).max(64),
  at: epochMs,
  outcome: z.enum(['reloading', 'failed']),
  /** Why the last delivery failed (an HTTP status, or a network error's code): never the body. */
  error: z.string().max(200).optional(),
});
export type ReloadState = z.infer<typeof reloadStateSchema>;

/** A displaced credential kept live past maxGrace because these consumers had not confirmed its successor. */
export const heldVersionSchema = z.strictObject({
  versionId: z.string().min(1).max(64),
  handle: z.string().min(1).max(256),
  since: epochMs,
  unconfirmed: z.array(z.string()),
});
export type HeldVersion = z.infer<typeof heldVersionSchema>;

export interface ConsumerStates {
  readonly confirmations: ReadonlyMap<string, Confirmation>;
  readonly reloads: ReadonlyMap<string, ReloadState>;
  readonly held: readonly HeldVersion[];
  /** The due time of a scheduled run that waits until no version is held (it would displace another). */
  readonly runWaitingDueMs?: number;
}

/**
 * What rotor remembers of a policy's consumers (a cache, like every Redis record: a lost confirmation makes the
 * revoke wait again, a lost hold is still at AWS as the version's label).
 */
export interface ConsumerStateStore {
  read(policyId: string): Promise<ConsumerStates>;
  readMany(policyIds: readonly string[]): Promise<Map<string, ConsumerStates>>;
  confirm(policyId: string, consumer: string, confirmation: Confirmation): Promise<void>;
  reloaded(policyId: string, consumer: string, state: ReloadState): Promise<void>;
  hold(policyId: string, held: HeldVersion): Promise<void>;
  /**
   * Forgets a hold (its credential was revoked; a version that was not held costs one command). When it was
   * the last, returns the due time of the scheduled run that waited for it (taken: it is returned once).
   */
  release(policyId: string, versionId: string): Promise<number | undefined>;
  /** A scheduled run waits while a version is held; the earliest due time waiting is kept. */
  holdRun(policyId: string, dueMs: number): Promise<void>;
}

export const emptyConsumerStates: ConsumerStates = {
  confirmations: new Map(),
  reloads: new Map(),
  held: [],
};
