import type { ConnectionConfig, PolicyConfig } from '../config/rotor-config.js';
import type { PolicyRecord, RunHistoryEntry } from '../domain/policy-record.js';
import type { Secret } from '../domain/secret.js';
import type { HttpClientFactory } from '../lib/http-client.js';

/** What the engine needs of the state layer; the Redis implementations live in src/state. */
export interface RecordStore {
  get(policyId: string): Promise<PolicyRecord>;
  /** The record and the policy's journal slot, read together (where a run starts). */
  getRun(policyId: string): Promise<RunState>;
  /** Many records in a few round trips; one that cannot be read is left out (`get` names its problem). */
  getMany(policyIds: readonly string[]): Promise<Map<string, PolicyRecord>>;
  /**
   * Applies `change` atomically (see UpdateOptions for the read it saves, the fences it checks and what it
   * writes in the same step).
   */
  update(
    policyId: string,
    change: (record: PolicyRecord) => PolicyRecord,
    options?: UpdateOptions,
  ): Promise<PolicyRecord>;
}

export interface RunState {
  readonly record: PolicyRecord;
  /**
   * The credential an earlier run issued but never staged, if the slot holds one. Decoded when asked: an
   * unreadable slot throws (a `protocol` RotationError) only for a caller that needs it.
   */
  journaled(): JournalEntry | undefined;
}

export interface UpdateOptions {
  /**
   * The record as the caller last saw it, which saves a read: it is used if it is still the stored revision,
   * else the change is recomputed from the stored record.
   */
  readonly known?: PolicyRecord;
  /**
   * The job writing on behalf of a run (its fencing token). The write is refused with a `busy` RotationError
   * while the record's in-flight run belongs to another job that still holds its job lock.
   */
  readonly owner?: string;
  /**
   * With `owner`: the token of that job's own lock. The write is refused with a `transient` RotationError
   * unless the job still holds it (it expired, and another worker may have taken the run over).
   */
  readonly lockToken?: string;
  /**
   * The policy's journal slot, changed in the same atomic write: the run's issued credential put (refused
   * with a `protocol` RotationError while the slot holds another run's or attempt's), or the run's entry
   * cleared (another run's is left alone).
   */
  readonly journal?: { readonly put: JournalEntry } | { readonly clearRun: string };
  /** A run history entry, appended in the same atomic write. */
  readonly history?: RunHistoryEntry;
}

export interface JournalEntry {
  readonly runId: string;
  readonly issueAttempt: number;
  readonly credential: Secret<string>;
}

/**
 * Whether a replica of Redis holds the writes made so far (Redis `WAIT`), so that a failover to it keeps
 * them. True at once where no replica is expected. A wait that times out is logged and counted here.
 */
export interface ReplicaAcknowledgement {
  acknowledged(what: string): Promise<boolean>;
}

/** One completed step of a run, for the demo's step lines, logs and (later) metrics and alerts. */
export interface StepEvent {
  readonly policyId: string;
  readonly runId: string;
  readonly step: string;
  readonly versionId?: string;
  readonly note?: string;
}

export type StepObserver = (event: StepEvent) => void;

/**
 * The policy's record, rebuilt from AWS when Redis has none while the policy's secret exists (Redis lost
 * it), or when `olderThan` is the record's current version and AWS holds a newer one; the record as it is
 * otherwise. Called before anything is decided on a record of revision 0.
 */
export type RecordRebuilder = (
  policy: PolicyConfig,
  signal: AbortSignal,
  olderThan?: string,
) => Promise<{ readonly record: PolicyRecord; readonly rebuilt: boolean }>;

/** The HTTP clients of one connection: all its calls share the connection's rate limit. */
export type ConnectionHttp = (connection: ConnectionConfig) => HttpClientFactory;

/** A displaced credential's revoke, as a rollback takes it out of the queue to restore that credential. */
export interface DisplacedRevoke {
  readonly handle: string;
  readonly versionId: string;
}

/** What cancelling a displaced credential's revoke found: nothing, a revoke taken out, one running, one done. */
export type RevokeCancellation =
  | { readonly kind: 'none' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'running' }
  | { readonly kind: 'done' };

/** The pending revokes of displaced credentials (the queue's delayed revoke jobs), as a rollback needs them. */
export interface PendingRevokes {
  cancel(policy: PolicyConfig, revoke: DisplacedRevoke): Promise<RevokeCancellation>;
  /** Puts a revoke back (the rollback that cancelled it did not happen): due one grace period from now. */
  restore(policy: PolicyConfig, revoke: DisplacedRevoke): Promise<void>;
}
