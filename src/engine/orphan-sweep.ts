import type { PolicyConfig } from '../config/rotor-config.js';
import { isRotationError, RotationError } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ListedCredential, StepContext } from '../providers/provider.js';
import type { ConnectionHttp, RecordStore } from './ports.js';

export interface OrphanSweepDeps {
  readonly records: RecordStore;
  readonly http: ConnectionHttp;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface OrphanOutcome {
  readonly deleted: readonly string[];
  readonly failed: readonly { readonly handle: string; readonly error: RotationError }[];
}

/** The epoch ms a run id carries (`<policy>-<ms>` or `<policy>-m<ms>`); undefined when it has none. */
function runStartedAt(runId: string): number | undefined {
  const match = /-m?(\d{12,})$/.exec(runId);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Deletes what rotor made for a policy that is neither current, previous nor in flight, once it is older than
 * the policy's grace period (a credential from a lost response or an abandoned run). Each deletion is the
 * provider's own revoke; "already gone" counts as deleted.
 */
export async function sweepOrphans(deps: OrphanSweepDeps, policy: PolicyConfig): Promise<OrphanOutcome> {
  const provider = policy.connection.provider;
  if (!provider.listIssued || !provider.revoke) return { deleted: [], failed: [] };
  const now = deps.clock.now();
  const ctx = (runId: string): StepContext => ({
    http: deps.http(policy.connection),
    log: deps.log.child({ policyId: policy.id, step: 'orphan-sweep' }),
    signal: AbortSignal.timeout(60_000),
    clock: deps.clock,
    policyId: policy.id,
    runId,
  });
  const input = { connection: policy.connection.settings, target: policy.target };
  const listed = await provider.listIssued(input, ctx(`${policy.id}-sweep`));
  const record = await deps.records.get(policy.id);
  const keep = new Set(
    [record.current?.handle, record.previous?.handle, record.inFlight?.handle].filter(
      (handle): handle is string => handle !== undefined,
    ),
  );
  const orphans = listed.filter((item: ListedCredential<unknown>) => {
    if (keep.has(item.handle) || item.runId === record.inFlight?.runId) return false;
    const startedAt = runStartedAt(item.runId);
    return startedAt !== undefined && now - startedAt >= policy.gracePeriodMs;
  });
  const deleted: string[] = [];
  const failed: { handle: string; error: RotationError }[] = [];
  for (const orphan of orphans) {
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
