import type { PolicyConfig } from '../config/rotor-config.js';
import { isRotationError, RotationError } from '../domain/errors.js';
import type { CredentialRef, InFlight, PolicyRecord, RunAudit } from '../domain/policy-record.js';
import type { Secret } from '../domain/secret.js';
import type { StepContext } from '../providers/provider.js';
import { ROTOR_LABEL, type SinkTarget, STAGE } from '../sinks/sink.js';
import { decodeCredential } from './credential-codec.js';
import type { DisplacedRevoke, PendingRevokes } from './ports.js';
import { rollbackRefusal } from './rollback-refusal.js';
import { type DueRevoke, type RotationDeps, type RotationResult, runRotation } from './run-rotation.js';
import { verifyCredential } from './verify-credential.js';

export interface RollbackDeps extends RotationDeps {
  readonly pendingRevokes: PendingRevokes;
}

export interface RollbackRequest {
  readonly policy: PolicyConfig;
  /** The rollback's run id (`rollbackRunId`): its history entry's, and the restored credential's in the record. */
  readonly runId: string;
  /** AWSCURRENT as the requester saw it: the version to roll back from. */
  readonly fromVersionId: string;
  readonly signal: AbortSignal;
  /** The job running the rollback: its fencing token on the policy's record, as a rotation's. */
  readonly owner?: string;
  readonly lockToken?: string;
  readonly audit?: RunAudit;
}

export type RollbackOutcome =
  | {
      readonly kind: 'rolled-back';
      /** The version AWSCURRENT holds again, and when its credential expires. */
      readonly restored: { readonly versionId: string; readonly expiresAt: number | undefined };
      /** The version the rollback took out of use (labelled rotor-rolled-back). */
      readonly rolledBackVersionId: string;
      /** Its credential's revoke, due one grace period after the commit. */
      readonly revoke: DueRevoke;
      /** A re-delivered job of a rollback that had committed: nothing was done again. */
      readonly alreadyDone: boolean;
    }
  | { readonly kind: 'refused'; readonly reason: string };

type Refused = Extract<RollbackOutcome, { kind: 'refused' }>;
const refused = (reason: string): Refused => ({ kind: 'refused', reason });

const revokeOf = (inFlight: InFlight): DisplacedRevoke => ({
  handle: inFlight.handle ?? '',
  versionId: inFlight.versionId ?? '',
});

/**
 * Puts the policy's previous credential back as AWSCURRENT, as an audited run of its own:
 * check (config, record, AWS's labels, the vendor) → take the policy's fence → promote (a compare-and-set
 * from the version the requester saw) → commit. The fence is the rotation's: the rollback writes an in-flight
 * run at the `verified` checkpoint naming the previous version, and the rotation engine promotes and commits
 * it — so a rollback whose job dies is finished by whichever job next takes the fence, and no rotation runs
 * meanwhile. The previous credential's pending revoke is taken out of the queue before it is checked at the
 * vendor (and put back if the rollback does not happen), so it cannot be revoked under the restore.
 */
export async function runRollback(deps: RollbackDeps, request: RollbackRequest): Promise<RollbackOutcome> {
  const { policy } = request;
  const read = await deps.records.get(policy.id);
  const record =
    read.revision === 0 && deps.rebuild ? (await deps.rebuild(policy, request.signal)).record : read;
  const committed = record.current?.runId === request.runId && record.inFlight === undefined;
  // The credential being restored, while the rollback holds the fence: its revoke is out of the queue.
  let restoring: DisplacedRevoke | undefined;
  if (record.inFlight?.runId === request.runId) restoring = revokeOf(record.inFlight);
  else if (!committed) {
    const started = await startRollback(deps, request, record);
    if (started.kind === 'refused') return started;
    restoring = started.restoring;
  }
  let result: RotationResult;
  try {
    result = await runRotation(deps, {
      policy,
      runId: request.runId,
      trigger: 'rollback',
      signal: request.signal,
      ...(request.owner === undefined ? {} : { owner: request.owner }),
      ...(request.lockToken === undefined ? {} : { lockToken: request.lockToken }),
      ...(request.audit === undefined ? {} : { audit: request.audit }),
    });
  } catch (error) {
    // AWS refused the promote (the secret moved on) and the run was dropped: the credential stays displaced,
    // so its revoke goes back. A rollback still in flight is finished later, by whichever job takes the fence.
    const after = restoring && (await deps.records.get(policy.id));
    if (
      restoring &&
      after?.inFlight?.runId !== request.runId &&
      after?.current?.versionId !== restoring.versionId
    )
      await deps.pendingRevokes.restore(policy, restoring);
    throw error;
  }
  // The commit displaced the version it rolled back from: that is the revoke it hands back.
  const rolledBack = result.revoke;
  if (rolledBack === undefined) {
    throw new RotationError(
      'protocol',
      `policy ${policy.id}: the rollback committed version ${result.versionId} without displacing a credential of the provider`,
      { policyId: policy.id, step: 'commit' },
    );
  }
  // Idempotent, so a re-delivered job repeats it: the version taken out of use is never promoted again.
  await deps.sink.moveLabel(targetOf(policy), rolledBack.versionId, ROTOR_LABEL.rolledBack, request.signal);
  return {
    kind: 'rolled-back',
    restored: { versionId: result.versionId, expiresAt: result.expiresAt },
    rolledBackVersionId: rolledBack.versionId,
    revoke: rolledBack,
    alreadyDone: result.alreadyDone,
  };
}

/**
 * The checks and the fence of a rollback not yet started; a refusal says why nothing was done. Fails with
 * `busy` while another job holds the fence (or runs the previous credential's revoke): the job waits.
 */
async function startRollback(
  deps: RollbackDeps,
  request: RollbackRequest,
  record: PolicyRecord,
): Promise<Refused | { readonly kind: 'fenced'; readonly restoring: DisplacedRevoke }> {
  const { policy, signal } = request;
  const fence = { known: record, ...(request.owner === undefined ? {} : { owner: request.owner }) };
  if (record.inFlight !== undefined) {
    // Refused with `busy` while the run's job holds its lock: the rollback waits for it, then sees its result.
    // A run that ended between the read and this write makes the rollback look again too.
    const seen = record.inFlight.runId;
    await deps.records.update(
      policy.id,
      (latest) => {
        if (latest.inFlight?.runId !== seen) {
          throw new RotationError(
            'busy',
            `policy ${policy.id}: run ${seen} ended while the rollback looked at it; it looks again`,
            { policyId: policy.id },
          );
        }
        return latest;
      },
      fence,
    );
    return refused(
      `policy ${policy.id}: rotation run ${record.inFlight.runId} is unfinished (step ${record.inFlight.step}) and no job is working on it; the policy's next rotation finishes it (rotor rotate), roll back after it if still needed`,
    );
  }
  const refusal = rollbackRefusal(policy, record, deps.clock.now(), request.fromVersionId);
  if (refusal) return refused(refusal);
  const previous = record.previous as CredentialRef;
  const target = targetOf(policy);
  const version = `version ${previous.versionId} of secret ${policy.secret.id}`;
  const stored = await deps.sink.read(target, { versionId: previous.versionId }, signal);
  if (stored === undefined)
    return refused(`policy ${policy.id}: ${version} is no longer at AWS Secrets Manager`);
  if (stored.stages.includes(ROTOR_LABEL.rolledBack)) {
    return refused(
      `policy ${policy.id}: ${version} carries the ${ROTOR_LABEL.rolledBack} label at AWS Secrets Manager: a rollback took it out of use, and it is never promoted again`,
    );
  }
  if (stored.stages.includes(STAGE.current)) {
    return refused(
      `policy ${policy.id}: ${version} is AWSCURRENT at AWS Secrets Manager already, although rotor's record holds ${record.current?.versionId}: the secret was changed outside rotor`,
    );
  }
  const provider = policy.connection.provider;
  const credential = decodeCredential(stored.value, provider.schemas.credential, {
    policyId: policy.id,
    secretId: policy.secret.id,
    version: 'previous',
  });
  const expiresAt = provider.expiresAt(credential.reveal())?.getTime();
  if (expiresAt !== undefined && expiresAt <= deps.clock.now()) {
    return refused(
      `policy ${policy.id}: the previous credential (${version}) expired at ${new Date(expiresAt).toISOString()}`,
    );
  }
  const displacedRevoke = { handle: previous.handle, versionId: previous.versionId };
  const cancellation = await deps.pendingRevokes.cancel(policy, displacedRevoke);
  if (cancellation.kind === 'running') {
    throw new RotationError(
      'busy',
      `policy ${policy.id}: the revoke of ${version} is running; the rollback waits for its outcome`,
    );
  }
  if (cancellation.kind === 'done') {
    return refused(
      `policy ${policy.id}: the previous credential (${version}) was revoked after its grace period`,
    );
  }
  try {
    const dead = await notLive(deps, request, previous, credential);
    if (dead) {
      // Put back all the same: revoking a credential the vendor no longer holds is "already gone".
      if (cancellation.kind === 'cancelled') await deps.pendingRevokes.restore(policy, displacedRevoke);
      return refused(dead);
    }
    const inFlight: InFlight = {
      runId: request.runId,
      trigger: 'rollback',
      issueAttempt: 0,
      // Checked at the vendor just now: the engine goes on from the promote.
      step: 'verified',
      startedAt: deps.clock.now(),
      handle: previous.handle,
      versionId: previous.versionId,
      ...(previous.fingerprint === undefined ? {} : { fingerprint: previous.fingerprint }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      baseVersionId: request.fromVersionId,
      ...(request.owner === undefined ? {} : { owner: request.owner }),
    };
    await deps.records.update(
      policy.id,
      (latest) => {
        // A run that started or committed since the record was read: the rollback looks again (and waits for it,
        // or is refused as asked against a superseded version).
        if (latest.inFlight !== undefined || latest.current?.versionId !== request.fromVersionId) {
          throw new RotationError(
            'busy',
            `policy ${policy.id}: a run started or committed while the rollback checked; it looks again`,
            { policyId: policy.id },
          );
        }
        return { ...latest, inFlight };
      },
      {
        ...fence,
        ...(request.lockToken === undefined ? {} : { lockToken: request.lockToken }),
      },
    );
    // Held for consumers that never confirmed its successor: it is about to be current again.
    const heldLabel = ROTOR_LABEL.held(previous.versionId);
    if (stored.stages.includes(heldLabel))
      await deps.sink.detachLabel(target, previous.versionId, heldLabel, signal);
    return { kind: 'fenced', restoring: displacedRevoke };
  } catch (error) {
    if (cancellation.kind === 'cancelled') await deps.pendingRevokes.restore(policy, displacedRevoke);
    throw error;
  }
}

/** Why the previous credential is not live at the vendor (revoked, deleted); undefined when it is. */
async function notLive(
  deps: RollbackDeps,
  request: RollbackRequest,
  previous: CredentialRef,
  credential: Secret<unknown>,
): Promise<string | undefined> {
  const { policy } = request;
  const log = deps.log.child({ policyId: policy.id, runId: request.runId, step: 'verify' });
  const ctx: StepContext = {
    http: deps.http(policy.connection),
    log,
    signal: request.signal,
    clock: deps.clock,
    policyId: policy.id,
    runId: request.runId,
  };
  try {
    const note = await verifyCredential(policy, credential, previous.handle, ctx);
    if (note) log.warn({ versionId: previous.versionId }, `rollback verify: ${note}`);
    deps.observe?.({
      policyId: policy.id,
      runId: request.runId,
      step: 'verify',
      versionId: previous.versionId,
      ...(note === undefined ? {} : { note }),
    });
    return undefined;
  } catch (error) {
    if (!isRotationError(error) || (error.kind !== 'auth' && error.kind !== 'not-found')) throw error;
    // A vendor that checks a credential through rotor's own connection (listing it with an admin token) says
    // `auth` when that connection is refused too: the credential is judged dead only once the connection's
    // own check passes.
    if (error.kind === 'auth') {
      await policy.connection.provider.preflight(
        { connection: policy.connection.settings, target: policy.target },
        ctx,
      );
    }
    return `policy ${policy.id}: the previous credential (version ${previous.versionId}) is no longer live at the vendor (${error.message})`;
  }
}

const targetOf = (policy: PolicyConfig): SinkTarget => ({
  secretId: policy.secret.id,
  policyId: policy.id,
  adopt: policy.secret.adopt,
});
