import type { PolicyConfig } from '../config/rotor-config.js';
import { isRotationError, RotationError } from '../domain/errors.js';
import type { PolicyRecord } from '../domain/policy-record.js';
import type { Secret } from '../domain/secret.js';
import type { StepContext } from '../providers/provider.js';
import { ROTOR_LABEL, type SecretSink, STAGE, type StoredVersion } from '../sinks/sink.js';
import { decodeCredential } from './credential-codec.js';
import type { RecordRebuilder, RecordStore } from './ports.js';

export interface RevokeRequest {
  readonly policy: PolicyConfig;
  readonly handle: string;
  /** The sink version that held the displaced credential (read back for providers whose token is its id). */
  readonly versionId: string;
  /**
   * The consumers have confirmed the version that displaced it: a hold on it (its rotor-held label at AWS) is
   * released before the revoke. Without this, a held version is refused.
   */
  readonly releaseHold?: boolean;
  /** The policy's record, when the caller has just read it (the consumer gate): not read again. */
  readonly record?: PolicyRecord;
}

/** `refused`: the version is live (or the job names a credential it does not hold); nothing was revoked. */
export type RevokeOutcome = 'revoked' | 'already-gone' | { readonly refused: string };

/**
 * Revokes a credential a rotation displaced, once its grace period is over. Idempotent: a credential the
 * vendor no longer knows counts as revoked. Nothing is revoked on the job's word alone: the read of the
 * displaced version that the revoke makes anyway returns its staging labels, and a version that is current
 * or pending at AWS — or the record's current one — is refused.
 */
export async function revokeDisplaced(
  deps: { readonly sink: SecretSink; readonly records: RecordStore; readonly rebuild?: RecordRebuilder },
  request: RevokeRequest,
  ctx: StepContext,
): Promise<RevokeOutcome> {
  const { policy } = request;
  const provider = policy.connection.provider;
  if (!provider.revoke) {
    throw new RotationError(
      'invalid-config',
      `policy ${policy.id}: provider ${provider.id} cannot revoke credentials`,
      {
        policyId: policy.id,
        step: 'revoke',
      },
    );
  }
  try {
    const target = { secretId: policy.secret.id, policyId: policy.id, adopt: policy.secret.adopt };
    const [stored, read] = await Promise.all([
      deps.sink.read(target, { versionId: request.versionId }, ctx.signal),
      request.record ?? deps.records.get(policy.id),
    ]);
    // A record Redis lost is rebuilt from AWS first: nothing is revoked on an empty record's word.
    const record =
      read.revision === 0 && deps.rebuild ? (await deps.rebuild(policy, ctx.signal)).record : read;
    const credential: Secret<unknown> | undefined = stored
      ? decodeCredential(stored.value, provider.schemas.credential, {
          policyId: policy.id,
          secretId: target.secretId,
          version: 'displaced',
        })
      : undefined;
    const refusal = refusalOf(request, stored, record, credential && provider.handleOf(credential.reveal()));
    if (refusal) return { refused: refusal };
    const heldLabel = ROTOR_LABEL.held(request.versionId);
    if (stored?.stages.includes(heldLabel)) {
      await deps.sink.detachLabel(target, request.versionId, heldLabel, ctx.signal);
      ctx.log.info({ versionId: request.versionId }, 'hold released: the consumers confirmed its successor');
    }
    return await provider.revoke(
      { connection: policy.connection.settings, target: policy.target, handle: request.handle, credential },
      ctx,
    );
  } catch (error) {
    if (isRotationError(error) && error.kind === 'not-found') return 'already-gone';
    throw isRotationError(error) ? error.within({ policyId: policy.id, step: 'revoke' }) : error;
  }
}

function refusalOf(
  request: RevokeRequest,
  stored: StoredVersion | undefined,
  record: PolicyRecord,
  storedHandle: string | undefined,
): string | undefined {
  const version = `version ${request.versionId} of secret ${request.policy.secret.id}`;
  const live = stored?.stages.filter((stage) => stage === STAGE.current || stage === STAGE.pending) ?? [];
  if (live.length > 0)
    return `${version} is ${live.join(' and ')} at AWS Secrets Manager: it is in use, not displaced`;
  if (record.current?.versionId === request.versionId || record.current?.handle === request.handle) {
    return `${version} holds the policy's current credential in rotor's record`;
  }
  if (record.inFlight?.versionId === request.versionId) {
    return `${version} holds the credential of the policy's rotation in flight`;
  }
  if (!request.releaseHold && stored?.stages.some(ROTOR_LABEL.isHeld)) {
    return `${version} is held for consumers that have not confirmed its successor (label ${ROTOR_LABEL.held(request.versionId)} at AWS Secrets Manager)`;
  }
  if (storedHandle !== undefined && storedHandle !== request.handle) {
    return `${version} holds another credential than the one the revoke job names`;
  }
  return undefined;
}
