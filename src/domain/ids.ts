import { createHash } from 'node:crypto';

/** Policy ids are safe as BullMQ job and scheduler ids, Redis key parts, AWS tag values and URL segments. */
export const POLICY_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

// rotor's UUIDv5 namespace (a fixed random UUID): version ids are stable across processes and releases.
const ROTOR_NAMESPACE = '0f5a3b7e-8c1d-4e2a-9b6f-3d7c5e9a1b24';

export function scheduledRunId(policyId: string, dueEpochMs: number): string {
  return `${policyId}-${dueEpochMs}`;
}

/** The due time named by a scheduled run's id (`scheduledRunId`'s inverse); undefined for any other id. */
export function dueTimeOfRun(policyId: string, runId: string): number | undefined {
  const prefix = `${policyId}-`;
  if (!runId.startsWith(prefix)) return undefined;
  const due = runId.slice(prefix.length);
  return /^\d{1,16}$/.test(due) ? Number(due) : undefined;
}

export function manualRunId(policyId: string, requestedEpochMs: number): string {
  return `${policyId}-m${requestedEpochMs}`;
}

/** A rollback's run id: its job id, and the run id its history entry and the policy's current credential carry. */
export function rollbackRunId(policyId: string, requestedEpochMs: number): string {
  return `${policyId}-r${requestedEpochMs}`;
}

/** Whether a run id is one of this policy's rotations (`scheduledRunId` or `manualRunId`). */
export function isRunOfPolicy(policyId: string, runId: string): boolean {
  const prefix = `${policyId}-`;
  return runId.startsWith(prefix) && /^m?\d{1,16}$/.test(runId.slice(prefix.length));
}

/**
 * The AWS ClientRequestToken of the version a run stages: a retry of the same issue attempt is a no-op at
 * AWS, a re-issue (new attempt) gets a new version.
 */
export function versionIdFor(runId: string, issueAttempt: number): string {
  return uuidV5(`${runId}#${issueAttempt}`, ROTOR_NAMESPACE);
}

export function uuidV5(name: string, namespace: string): string {
  const namespaceBytes = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A short, non-reversible fingerprint of a credential, for records where the value itself must not be kept. */
export function fingerprint(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16)}`;
}
