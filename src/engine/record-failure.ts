import type { RotationError } from '../domain/errors.js';
import type { PolicyRecord, Trigger } from '../domain/policy-record.js';
import type { Clock } from '../lib/clock.js';
import type { RecordStore, RunHistoryLog } from './ports.js';

/**
 * Books a failed attempt on the policy's record. The in-flight checkpoint is kept, so the next run resumes the
 * unfinished rotation (a journaled or staged credential is never thrown away). Only a final failure counts
 * towards the policy's consecutive failures and enters the run history.
 */
export async function recordFailure(
  deps: { readonly records: RecordStore; readonly history: RunHistoryLog; readonly clock: Clock },
  failure: {
    policyId: string;
    runId: string;
    trigger: Trigger;
    startedAt: number;
    error: RotationError;
    final: boolean;
    /** Failed runs in a row that put the policy in needs-attention. */
    needsAttentionAfter: number;
  },
): Promise<PolicyRecord> {
  const now = deps.clock.now();
  const lastError = {
    kind: failure.error.kind,
    message: failure.error.message,
    at: now,
    ...(failure.error.details.step === undefined ? {} : { step: failure.error.details.step }),
  };
  const updated = await deps.records.update(failure.policyId, (record) => {
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
  });
  if (!failure.final) return updated;
  await deps.history.append(failure.policyId, {
    runId: failure.runId,
    trigger: failure.trigger,
    startedAt: failure.startedAt,
    finishedAt: now,
    durationMs: now - failure.startedAt,
    outcome: 'failed',
    steps: [],
    error: {
      kind: lastError.kind,
      message: lastError.message,
      ...(lastError.step === undefined ? {} : { step: lastError.step }),
    },
  });
  return updated;
}
