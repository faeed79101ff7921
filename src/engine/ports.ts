import type { ConnectionConfig, PolicyConfig } from '../config/rotor-config.js';
import type { PolicyRecord, RunHistoryEntry } from '../domain/policy-record.js';
import type { Secret } from '../domain/secret.js';
import type { HttpClientFactory } from '../lib/http-client.js';

/** What the engine needs of the state layer; the Redis implementations live in src/state. */
export interface RecordStore {
  get(policyId: string): Promise<PolicyRecord>;
  /** Many records in a few round trips; one that cannot be read is left out (`get` names its problem). */
  getMany(policyIds: readonly string[]): Promise<Map<string, PolicyRecord>>;
  /** Applies `change` atomically (see UpdateOptions for the read it saves and the fence it checks). */
  update(
    policyId: string,
    change: (record: PolicyRecord) => PolicyRecord,
    options?: UpdateOptions,
  ): Promise<PolicyRecord>;
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
}

export interface JournalEntry {
  readonly runId: string;
  readonly issueAttempt: number;
  readonly credential: Secret<string>;
}

export interface CredentialJournal {
  put(policyId: string, entry: JournalEntry): Promise<void>;
  get(policyId: string): Promise<JournalEntry | undefined>;
  delete(policyId: string, runId: string): Promise<void>;
}

/**
 * Whether a replica of Redis holds the writes made so far (Redis `WAIT`), so that a failover to it keeps
 * them. True at once where no replica is expected. A wait that times out is logged and counted here.
 */
export interface ReplicaAcknowledgement {
  acknowledged(what: string): Promise<boolean>;
}

export interface RunHistoryLog {
  append(policyId: string, entry: RunHistoryEntry): Promise<void>;
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
