import type { RunAudit } from '../domain/policy-record.js';

/** The audit fields a rotate job's payload (or a history entry) carries; absent ones are left out. */
export function auditOf(source: RunAudit): RunAudit {
  return {
    ...(source.reason === undefined ? {} : { reason: source.reason }),
    ...(source.requestedBy === undefined ? {} : { requestedBy: source.requestedBy }),
    ...(source.apiTokenName === undefined ? {} : { apiTokenName: source.apiTokenName }),
    ...(source.forced === undefined ? {} : { forced: source.forced }),
    ...(source.deferred === undefined ? {} : { deferred: source.deferred }),
    ...(source.windowOverride === undefined ? {} : { windowOverride: source.windowOverride }),
  };
}
