import type { PolicyConfig } from '../config/rotor-config.js';
import type { RotationError } from '../domain/errors.js';
import type { PolicyRecord, WindowOverride } from '../domain/policy-record.js';
import type { AlertSink } from './alert-publisher.js';

const about = (policy: PolicyConfig) => ({
  policyId: policy.id,
  provider: policy.connection.provider.id,
  secretId: policy.secret.id,
});

const errorOf = (error: RotationError) => ({ kind: error.kind, message: error.message });

export function alertRotationSucceeded(
  alerts: AlertSink,
  policy: PolicyConfig,
  run: { readonly runId: string; readonly versionId: string; readonly secretArn?: string | undefined },
): Promise<void> {
  return alerts.publish({
    ...about(policy),
    type: 'rotation.succeeded',
    runId: run.runId,
    versionId: run.versionId,
    secretArn: run.secretArn,
  });
}

/** The previous credential is AWSCURRENT again; the one it replaced is revoked at `revokeAt`. */
export function alertRolledBack(
  alerts: AlertSink,
  policy: PolicyConfig,
  rollback: {
    readonly runId: string;
    readonly versionId: string;
    readonly rolledBackVersionId: string;
    readonly revokeAt: number | undefined;
    readonly requestedBy: string | undefined;
    readonly reason: string | undefined;
  },
): Promise<void> {
  return alerts.publish({
    ...about(policy),
    type: 'rotation.rolled_back',
    runId: rollback.runId,
    versionId: rollback.versionId,
    details: {
      rolledBackVersionId: rollback.rolledBackVersionId,
      ...(rollback.revokeAt === undefined ? {} : { revokeAt: new Date(rollback.revokeAt).toISOString() }),
      ...(rollback.requestedBy === undefined ? {} : { requestedBy: rollback.requestedBy }),
      ...(rollback.reason === undefined ? {} : { reason: rollback.reason }),
    },
  });
}

/**
 * A failed attempt: rotation.failed when it was the last, rotation.retrying otherwise, and
 * policy.needs_attention once, when the consecutive failures reach the configured count.
 */
export async function alertRotationFailed(
  alerts: AlertSink,
  policy: PolicyConfig,
  failure: {
    readonly runId: string;
    readonly error: RotationError;
    readonly final: boolean;
    readonly record: PolicyRecord;
    readonly enteredNeedsAttention: boolean;
  },
): Promise<void> {
  const { runId, error, final, record, enteredNeedsAttention } = failure;
  await alerts.publish({
    ...about(policy),
    type: final ? 'rotation.failed' : 'rotation.retrying',
    runId,
    step: error.details.step,
    error: errorOf(error),
  });
  if (enteredNeedsAttention) {
    await alerts.publish({
      ...about(policy),
      type: 'policy.needs_attention',
      runId,
      error: errorOf(error),
      details: { consecutiveFailures: record.consecutiveFailures },
    });
  }
}

export function alertRevocationFailed(
  alerts: AlertSink,
  policy: PolicyConfig,
  failure: {
    readonly error: RotationError;
    /** The displaced version, or absent for an orphan (a credential no version holds). */
    readonly versionId?: string;
    readonly handle?: string;
  },
): Promise<void> {
  return alerts.publish({
    ...about(policy),
    type: 'revocation.failed',
    step: 'revoke',
    versionId: failure.versionId,
    error: errorOf(failure.error),
    ...(failure.handle === undefined ? {} : { details: { handle: failure.handle } }),
  });
}

/** A revoke job named a credential that is still in use (AWSCURRENT, AWSPENDING or the record's current). */
export function alertRevocationRefused(
  alerts: AlertSink,
  policy: PolicyConfig,
  refusal: { readonly versionId: string; readonly handle: string; readonly reason: string },
): Promise<void> {
  return alerts.publish({
    ...about(policy),
    type: 'revocation.refused',
    step: 'revoke',
    versionId: refusal.versionId,
    error: { kind: 'refused', message: refusal.reason },
    details: { handle: refusal.handle },
  });
}

/** A before-expiry run starts outside the policy's windows because its credential would lapse first. */
export function alertWindowOverridden(
  alerts: AlertSink,
  policy: PolicyConfig,
  runId: string,
  override: WindowOverride,
): Promise<void> {
  return alerts.publish({
    ...about(policy),
    type: 'rotation.window_overridden',
    runId,
    details: {
      expiresAt: new Date(override.expiresAt).toISOString(),
      allowedAt: new Date(override.allowedAt).toISOString(),
      closedBy: override.kind,
      ...(override.freezeReason === undefined ? {} : { freezeReason: override.freezeReason }),
    },
  });
}

/**
 * Consumers have not confirmed the version that displaced a credential: it was held (kept live), revoked
 * anyway (`onUnconfirmed: revoke`), or — for a native-grace action — it dies at `expiresAt` regardless.
 * One event per displaced version and outcome (a stable id: a repeated check is one delivery).
 */
export function alertConsumersUnconfirmed(
  alerts: AlertSink,
  policy: PolicyConfig,
  state: {
    /** Undefined when rotor's record does not know it (a native-grace policy's first rotation). */
    readonly displacedVersionId: string | undefined;
    readonly currentVersionId: string | undefined;
    readonly unconfirmed: readonly string[];
    readonly outcome: 'held' | 'revoked' | 'expires';
    readonly expiresAt?: number;
  },
): Promise<void> {
  return alerts.publish({
    ...about(policy),
    id: `evt_unconfirmed_${policy.id}_${state.displacedVersionId ?? state.currentVersionId}_${state.outcome}`,
    type: 'consumers.unconfirmed',
    step: 'revoke',
    versionId: state.currentVersionId,
    details: {
      unconfirmed: state.unconfirmed.join(', '),
      outcome: state.outcome,
      ...(state.displacedVersionId === undefined ? {} : { displacedVersionId: state.displacedVersionId }),
      ...(state.expiresAt === undefined ? {} : { expiresAt: new Date(state.expiresAt).toISOString() }),
    },
  });
}

/** A consumer's reload hook did not answer 2xx after all its attempts. */
export function alertReloadFailed(
  alerts: AlertSink,
  policy: PolicyConfig,
  failure: { readonly consumer: string; readonly versionId: string; readonly reason: string },
): Promise<void> {
  return alerts.publish({
    ...about(policy),
    id: `evt_reload_${policy.id}_${failure.versionId}_${failure.consumer}`,
    type: 'consumers.reload_failed',
    versionId: failure.versionId,
    error: { kind: 'reload', message: failure.reason },
    details: { consumer: failure.consumer },
  });
}
