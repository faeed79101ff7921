import type { Secret } from '../domain/secret.js';

/** Which secret a policy writes, and whether rotor may take over a secret it did not create. */
export interface SinkTarget {
  readonly secretId: string;
  readonly policyId: string;
  /** Write to an existing secret rotor did not create (it is tagged as rotor's on first write). */
  readonly adopt: boolean;
}

/** What `inspect` says of one secret: its state (undefined: it does not exist), or the error it fails with. */
export type InspectOutcome =
  | { readonly ok: true; readonly state: SinkSecretState | undefined }
  | { readonly ok: false; readonly error: unknown };

/** The staging labels rotor itself moves (AWS Secrets Manager's names; the sink contract is its model). */
export const STAGE = {
  current: 'AWSCURRENT',
  pending: 'AWSPENDING',
  previous: 'AWSPREVIOUS',
} as const;

/**
 * Labels of rotor's own. A held version (consumers have not confirmed its successor) carries one naming it, so
 * the hold lives at AWS: the revoke refuses it and the orphan sweep keeps it even when Redis forgets.
 */
export const ROTOR_LABEL = {
  held: (versionId: string): string => `rotor-held-${versionId}`,
  isHeld: (label: string): boolean => label.startsWith('rotor-held-'),
  /**
   * On the version the latest rollback took AWSCURRENT from: it is never promoted (nor rolled back to) again.
   * One version carries it at a time; the next rotation supersedes that version anyway.
   */
  rolledBack: 'rotor-rolled-back',
} as const;

export interface SinkSecretState {
  readonly arn: string;
  readonly currentVersionId: string | undefined;
  readonly pendingVersionId: string | undefined;
  readonly previousVersionId: string | undefined;
  /** Every version that carries any staging label (rotor's three, or any other), newest state of the secret. */
  readonly labelledVersionIds: readonly string[];
}

/** One version of a secret as read back: its value and the staging labels it carries right now. */
export interface StoredVersion {
  /** The secret's ARN, when the store says. */
  readonly arn?: string;
  readonly versionId: string;
  readonly value: Secret<string>;
  /** Empty for a deprecated version (one no label points at any more). */
  readonly stages: readonly string[];
  /** When the version was written (epoch ms), when the store says. */
  readonly createdAt?: number;
}

/**
 * What a promote did. `superseded`: the secret's current version is no longer the one the caller expected,
 * so nothing was moved (another rotation, a rollback or a hand edit got there first).
 */
export type PromoteOutcome =
  | { readonly kind: 'promoted' }
  | { readonly kind: 'superseded'; readonly currentVersionId: string | undefined };

/**
 * Where new credentials land, with AWS Secrets Manager's staging-label model: a version is staged as
 * pending, then promoted to current (the displaced version becomes previous). Every method is idempotent
 * and fails only with classified RotationErrors.
 */
export interface SecretSink {
  readonly id: string;
  /** The secret's state, or undefined when it does not exist. Refuses secrets rotor may not write. */
  inspect(target: SinkTarget, signal: AbortSignal): Promise<SinkSecretState | undefined>;
  /**
   * `inspect` for a fleet at once (the daemon's start-up check), in the targets' order. A store may answer
   * from a listing, but must confirm a secret's absence as `inspect` would.
   */
  inspectMany(targets: readonly SinkTarget[], signal: AbortSignal): Promise<InspectOutcome[]>;
  /** Creates the secret (tagged as rotor's) when missing; refuses one rotor may not write. */
  ensure(target: SinkTarget, signal: AbortSignal): Promise<SinkSecretState>;
  /**
   * Writes `value` as a pending version with `versionId` as its idempotency token. It trusts the caller's
   * `ensure` (or a read of a version this policy wrote) for the right to write: it reads nothing first.
   */
  stage(target: SinkTarget, versionId: string, value: Secret<string>, signal: AbortSignal): Promise<void>;
  /** A version by id, or the current one, with its labels; undefined when it does not exist. */
  read(
    target: SinkTarget,
    version: { readonly versionId: string } | 'current',
    signal: AbortSignal,
  ): Promise<StoredVersion | undefined>;
  /**
   * Makes `versionId` current if `expectedCurrent` still is (undefined: the secret had no current version) —
   * a compare-and-set the store itself enforces, so nothing is read first. The displaced current becomes
   * previous and the pending label is removed. Promoting a version that is already current again is a no-op
   * `promoted`.
   */
  promote(
    target: SinkTarget,
    versionId: string,
    expectedCurrent: string | undefined,
    signal: AbortSignal,
  ): Promise<PromoteOutcome>;
  /**
   * Puts a label of rotor's own on a version (a hold, a rollback mark): a label sits on one version at a time,
   * and a labelled version is never deprecated. Idempotent; refused when the label is on another version.
   */
  attachLabel(target: SinkTarget, versionId: string, label: string, signal: AbortSignal): Promise<void>;
  /** Puts a label of rotor's own on a version, taking it off the version that had it. Idempotent. */
  moveLabel(target: SinkTarget, versionId: string, label: string, signal: AbortSignal): Promise<void>;
  /** Takes a label off a version; a label not on it is already detached. */
  detachLabel(target: SinkTarget, versionId: string, label: string, signal: AbortSignal): Promise<void>;
}
