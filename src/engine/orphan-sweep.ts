import type { PolicyConfig } from '../config/rotor-config.js';
import { isRotationError, RotationError } from '../domain/errors.js';
import type { PolicyRecord } from '../domain/policy-record.js';
import type { SecretScope } from '../domain/secret-redactor.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { logUnexpected } from '../lib/unexpected-error.js';
import type { ListedCredential, StepContext } from '../providers/provider.js';
import type { SecretSink, SinkTarget } from '../sinks/sink.js';
import { credentialIn } from './credential-codec.js';
import type { ConnectionHttp, RecordRebuilder, RecordStore } from './ports.js';

export interface OrphanSweepDeps {
  readonly records: RecordStore;
  readonly sink: SecretSink;
  readonly http: ConnectionHttp;
  readonly clock: Clock;
  readonly log: Logger;
  readonly rebuild?: RecordRebuilder;
  /** Holds an orphan's secrets while it is deleted (a vendor error may quote the request). */
  readonly secrets?: SecretScope;
}

export interface OrphanOutcome {
  readonly deleted: readonly string[];
  readonly failed: readonly { readonly handle: string; readonly error: RotationError }[];
  /** Why nothing was swept for the policy, when that was decided before looking at single credentials. */
  readonly skipped?: string;
}

/** The epoch ms a run id carries (`<policy>-<ms>` or `<policy>-m<ms>`); undefined when it has none. */
function runStartedAt(runId: string): number | undefined {
  const match = /-m?(\d{12,})$/.exec(runId);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const SWEEP_TIMEOUT_MS = 60_000;

/**
 * Deletes what rotor made for a policy that nothing holds, once it is older than the policy's grace period (a
 * credential from a lost response or an abandoned run). Redis alone never decides a deletion: a candidate the
 * record does not hold is deleted only when no labelled version of the policy's AWS secret holds it either
 * (AWSCURRENT, AWSPREVIOUS, AWSPENDING or any other label). A policy without a record while its AWS secret
 * exists (Redis lost it) is not swept. Each deletion is the provider's own revoke; "already gone" counts.
 */
export async function sweepOrphans(deps: OrphanSweepDeps, policy: PolicyConfig): Promise<OrphanOutcome> {
  const provider = policy.connection.provider;
  if (!provider.listIssued || !provider.revoke) return { deleted: [], failed: [] };
  const signal = AbortSignal.timeout(SWEEP_TIMEOUT_MS);
  const ctx = (runId: string): StepContext => ({
    http: deps.http(policy.connection),
    log: deps.log.child({ policyId: policy.id, step: 'orphan-sweep' }),
    signal,
    clock: deps.clock,
    policyId: policy.id,
    runId,
  });
  const input = { connection: policy.connection.settings, target: policy.target };
  const [listed, read] = await Promise.all([
    provider.listIssued(input, ctx(`${policy.id}-sweep`)),
    deps.records.get(policy.id),
  ]);
  const record = read.revision === 0 && deps.rebuild ? (await deps.rebuild(policy, signal)).record : read;
  const candidates = unheldByRecord(listed, record, deps.clock.now(), policy.gracePeriodMs);
  // The AWS reads cost calls, so they are made only when the record leaves something to delete.
  if (candidates.length === 0) return { deleted: [], failed: [] };
  const target: SinkTarget = { secretId: policy.secret.id, policyId: policy.id, adopt: policy.secret.adopt };
  const state = await deps.sink.inspect(target, signal);
  if (state !== undefined && record.revision === 0) {
    const skipped = `no record of the policy while its AWS secret ${target.secretId} exists (Redis lost it, and it could not be rebuilt); not swept until it is`;
    deps.log.warn({ policyId: policy.id, candidates: candidates.length }, `orphan sweep: ${skipped}`);
    return { deleted: [], failed: [], skipped };
  }
  const heldByAws = new Set<string>();
  for (const versionId of state?.labelledVersionIds ?? []) {
    const stored = await deps.sink.read(target, { versionId }, signal);
    const credential = stored && credentialIn(stored.value, provider.schemas.credential);
    // A value that is not this provider's credential (an adopted secret's first value) holds nothing listed.
    if (credential !== undefined) heldByAws.add(provider.handleOf(credential));
  }
  const deleted: string[] = [];
  const failed: { handle: string; error: RotationError }[] = [];
  for (const orphan of candidates) {
    if (heldByAws.has(orphan.handle)) {
      deps.log.warn(
        { policyId: policy.id, handle: orphan.handle, runId: orphan.runId },
        'orphan sweep: a credential rotor’s record does not hold is held by a labelled AWS version; kept',
      );
      continue;
    }
    deps.secrets?.hold(provider.secretsOf(orphan.credential.reveal()));
    try {
      await provider.revoke(
        { ...input, handle: orphan.handle, credential: orphan.credential },
        ctx(orphan.runId),
      );
      deleted.push(orphan.handle);
      deps.log.info(
        { policyId: policy.id, handle: orphan.handle, runId: orphan.runId },
        'orphaned credential deleted',
      );
    } catch (error) {
      if (!isRotationError(error)) {
        logUnexpected(
          deps.log,
          error,
          { policyId: policy.id, handle: orphan.handle },
          'unexpected failure deleting an orphaned credential',
        );
      }
      const failure = isRotationError(error)
        ? error.within({ policyId: policy.id, step: 'revoke' })
        : new RotationError(
            'protocol',
            `policy ${policy.id}: unexpected failure deleting an orphaned credential`,
          );
      failed.push({ handle: orphan.handle, error: failure });
      deps.log.error(
        { err: failure, policyId: policy.id, handle: orphan.handle },
        'orphaned credential not deleted',
      );
    }
  }
  return { deleted, failed };
}

/** What the vendor lists that the record does not hold (current, previous, in flight), past the grace. */
function unheldByRecord(
  listed: readonly ListedCredential<unknown>[],
  record: PolicyRecord,
  now: number,
  gracePeriodMs: number,
): ListedCredential<unknown>[] {
  const keep = new Set(
    [record.current?.handle, record.previous?.handle, record.inFlight?.handle].filter(
      (handle): handle is string => handle !== undefined,
    ),
  );
  return listed.filter((item) => {
    if (keep.has(item.handle) || item.runId === record.inFlight?.runId) return false;
    const startedAt = runStartedAt(item.runId);
    return startedAt !== undefined && now - startedAt >= gracePeriodMs;
  });
}
