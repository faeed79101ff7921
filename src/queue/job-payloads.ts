import { z } from 'zod';
import { POLICY_ID_PATTERN } from '../domain/ids.js';
import { startDeferralSchema, windowOverrideSchema } from '../domain/policy-record.js';

/** Job names on rotor's queue. Payloads carry ids only, never secret values. */
export const JOB = {
  /** Fired by a policy's Job Scheduler or its before-expiry timer; adds the real rotation job. */
  trigger: 'trigger',
  rotate: 'rotate',
  /** Added by other services (or anything with queue access): asks for a rotation like `rotor rotate`. */
  request: 'request',
  /** Periodic: looks for expiring credentials and stalled schedules (with alerts configured). */
  sweep: 'sweep',
  /** Periodic: deletes what rotor made that is neither current, previous nor in flight (listing providers). */
  orphanSweep: 'orphan-sweep',
  /** Revokes a displaced credential once its grace period is over (and its consumers confirmed). */
  revoke: 'revoke',
  /** Tells one consumer, through its reload hook, that a new version is current. */
  reload: 'reload',
  /** Native-grace actions: alerts before the displaced secret dies if consumers have not confirmed its successor. */
  consumersCheck: 'consumers-check',
  /** Puts the previous credential back as current (`rotor rollback`, the API). */
  rollback: 'rollback',
} as const;

const policyId = z.string().regex(POLICY_ID_PATTERN, 'expected a policy id');
const runId = z.string().regex(/^[a-z0-9][a-z0-9-]*-m?\d+$/, 'expected a run id (<policy>-<epoch ms>)');

export const triggerPayloadSchema = z.strictObject({
  policyId,
  source: z.enum(['schedule', 'expiry']).default('schedule'),
  /** The trigger fires this long after the run's due time (its jitter offset); absent, it fires at the due time. */
  firesAfterDueMs: z.number().int().nonnegative().optional(),
});
export type TriggerPayload = z.infer<typeof triggerPayloadSchema>;

const requester = {
  /** Free text for audit: why the rotation was asked for. */
  reason: z.string().min(1).max(500).optional(),
  /** Who asked: a service or person name, for audit. */
  requestedBy: z.string().min(1).max(200).optional(),
};

export const rotatePayloadSchema = z.strictObject({
  policyId,
  runId,
  trigger: z.enum(['schedule', 'manual', 'expiry', 'initial']),
  ...requester,
  /** The API token an HTTP request was authenticated with: its configured name or fingerprint, never its value. */
  apiTokenName: z.string().min(1).max(100).optional(),
  /** Started at once although the policy's windows did not allow it: the requester forced it. */
  forced: z.literal(true).optional(),
  /** The run waits for the policy's windows (its job is delayed until `startsAt`). */
  deferred: startDeferralSchema.optional(),
  /** A before-expiry run started outside the windows because the credential would lapse first. */
  windowOverride: windowOverrideSchema.optional(),
});
export type RotatePayload = z.infer<typeof rotatePayloadSchema>;

/**
 * The public contract for other services: `{ policyId, reason?, requestedBy?, force? }` on job name `request`.
 * `force: true` starts the rotation at once even outside the policy's windows (recorded in the run history).
 */
export const requestPayloadSchema = z.strictObject({ policyId, ...requester, force: z.boolean().optional() });
export type RequestPayload = z.infer<typeof requestPayloadSchema>;

export const revokePayloadSchema = z.strictObject({
  policyId,
  /** The displaced credential's non-secret handle (token id or fingerprint). */
  handle: z.string().min(1).max(256),
  versionId: z.string().min(32).max(64),
  /** When the credential was displaced (its successor promoted): a policy's maxGrace counts from here. */
  displacedAt: z.number().int().nonnegative().optional(),
});
export type RevokePayload = z.infer<typeof revokePayloadSchema>;

export const reloadPayloadSchema = z.strictObject({
  policyId,
  consumer: z.string().min(1).max(63),
  /** The AWS version the consumer should load. */
  versionId: z.string().min(32).max(64),
  secretArn: z.string().min(1).max(2048).optional(),
});
export type ReloadPayload = z.infer<typeof reloadPayloadSchema>;

export const consumersCheckPayloadSchema = z.strictObject({
  policyId,
  /** The version the consumers should confirm (the one promoted). */
  versionId: z.string().min(32).max(64),
  /** When the vendor lets the displaced secret die (the expiry chosen at issue). */
  displacedExpiresAt: z.number().int().nonnegative(),
  /** The last check: unconfirmed consumers at this time are alerted. */
  alertAt: z.number().int().nonnegative(),
});
export type ConsumersCheckPayload = z.infer<typeof consumersCheckPayloadSchema>;

export const rollbackPayloadSchema = z.strictObject({
  policyId,
  runId: z.string().regex(/^[a-z0-9][a-z0-9-]*-r\d+$/, 'expected a rollback run id (<policy>-r<epoch ms>)'),
  /** AWSCURRENT when the rollback was asked for: the version it takes out of use (a compare-and-set at AWS). */
  fromVersionId: z.string().min(32).max(64),
  ...requester,
  apiTokenName: z.string().min(1).max(100).optional(),
  /** Revoke the rolled-back credential at once instead of after the policy's grace period. */
  revokeNow: z.literal(true).optional(),
});
export type RollbackPayload = z.infer<typeof rollbackPayloadSchema>;

/** What rotate jobs return (stored by BullMQ as the job's return value): ids only. */
export interface RotateJobResult {
  readonly runId: string;
  readonly versionId: string;
  readonly alreadyDone: boolean;
}

export const schedulerIdFor = (policyIdValue: string): string => `rotate-${policyIdValue}`;
export const expiryJobIdFor = (policyIdValue: string): string => `expiry-${policyIdValue}`;
/** One reload per version and consumer, and again for each rollback that makes the version current anew. */
export const reloadJobIdFor = (
  policyIdValue: string,
  versionId: string,
  consumer: string,
  rollbackRunId?: string,
): string =>
  `reload-${policyIdValue}-${versionId}-${consumer}${rollbackRunId === undefined ? '' : `-${rollbackRunId}`}`;
export const revokeJobIdFor = (policyIdValue: string, versionId: string): string =>
  `revoke-${policyIdValue}-${versionId}`;

/** A payload that fails its schema: the job fails with this reason, the daemon keeps running. */
export function payloadProblem(jobName: string, error: z.ZodError): string {
  const where = error.issues
    .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
    .join('; ');
  return `malformed ${jobName} job: ${where}`;
}
