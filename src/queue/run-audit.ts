import type { RunHistoryEntry } from '../domain/policy-record.js';
import type { RunHistoryLog } from '../engine/ports.js';

/** Who asked for a run and why, as its history entry keeps it. */
export type RunAudit = Pick<RunHistoryEntry, 'reason' | 'requestedBy' | 'apiTokenName'>;

/** The audit fields a rotate job's payload (or a history entry) carries; absent ones are left out. */
export function auditOf(source: RunAudit): RunAudit {
  return {
    ...(source.reason === undefined ? {} : { reason: source.reason }),
    ...(source.requestedBy === undefined ? {} : { requestedBy: source.requestedBy }),
    ...(source.apiTokenName === undefined ? {} : { apiTokenName: source.apiTokenName }),
  };
}

/**
 * The run history as one rotate job writes it: every entry it appends — the commit, or the final failure —
 * carries the job's request. A job that finishes an earlier unfinished run records that run under its own id,
 * with the request of the job that finished it.
 */
export function auditedHistory(history: RunHistoryLog, audit: RunAudit): RunHistoryLog {
  if (Object.keys(audit).length === 0) return history;
  return { append: (policyId, entry) => history.append(policyId, { ...entry, ...audit }) };
}
