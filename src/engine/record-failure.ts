import type { RotationError } from '../domain/errors.js';
import type { PolicyRecord, RunAudit, Trigger } from '../domain/policy-record.js';
import type { Clock } from '../lib/clock.js';
import type { RecordStore } from './ports.js';

/**
 * Books a failed attempt on the policy's record. The in-flight checkpoint is kept, so the next run resumes the
 * unfinished rotation (a journaled or staged credential is never thrown away). Only a final failure counts
 * towards the policy's consecutive failures and enters the run history (in the same write as the record).
 */
export async function recordFailure(
  deps: { readonly records: RecordStore; readonly clock: Clock },
  failure: {
    policyId: string;
    runId: string;
    trigger: Trigger;
    startedAt: number;
    error: RotationError;
    final: boolean;
    /** Failed runs in a row that put the policy in needs-attention. */
    needsAttentionAfter: number;
    /** Who asked for the run, for its history entry. */
    audit?: RunAudit;
  },
): Promise<PolicyRecord> {
  const now = deps.clock.now();
  const lastError = {
    kind: failure.error.kind,
    message: failure.error.message,
    at: now,
    ...(failure.error.details.step === undefined ? {} : { step: failure.error.details.step }),
  };
  const history = {
    runId: failure.runId,
    trigger: failure.trigger,
    startedAt: failure.startedAt,
    finishedAt: now,
    durationMs: now - failure.startedAt,
    outcome: 'failed' as const,
    steps: [],
    error: {
      kind: lastError.kind,
      message: lastError.message,
      ...(lastError.step === undefined ? {} : { step: lastError.step }),
    },
    ...failure.audit,
  };
  return deps.records.update(
    failure.policyId,
    (record) => {
      const consecutiveFailures = record.consecutiveFailures + (failure.final ? 1 : 0);
      const needsAttention =
        record.needsAttentionSince !== undefined || consecutiveFailures >= failure.needsAttentionAfter;
      return {
        ...record,
        lastAttemptAt: now,
        lastError,
        consecutiveFailures,
        ...(needsAttention ? { needsAttentionSince: record.needsAttentionSince ?? now } : {}),
      };
    },
    failure.final ? { history } : {},
  );
}
