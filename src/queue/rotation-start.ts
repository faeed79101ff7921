import type { Job } from 'bullmq';
import type { PolicyConfig } from '../config/rotor-config.js';
import type { StartDeferral, WindowOverride } from '../domain/policy-record.js';
import { ALLOWED_START_HORIZON_MS, nextAllowedStart } from '../domain/rotation-windows.js';
import { rotatePayloadSchema } from './job-payloads.js';

/** When a rotation asked to start at some moment may start under its policy's windows and freezes. */
export interface PlannedStart {
  readonly atMs: number;
  /** Present when the windows moved the start later than asked. */
  readonly deferral?: StartDeferral;
}

/**
 * The start the policy's windows allow for a rotation asked to start at `askedMs` (its due time plus jitter,
 * or now): that moment when allowed, else the next allowed one. Config validation refuses windows that
 * never open, so a policy here always has an allowed start; one that had none would be a bug, and throws.
 */
export function plannedStart(policy: Pick<PolicyConfig, 'id' | 'windows'>, askedMs: number): PlannedStart {
  if (policy.windows === undefined) return { atMs: askedMs };
  const allowed = nextAllowedStart(askedMs, policy.windows);
  if (allowed === undefined)
    throw new Error(
      `policy ${policy.id}: its windows and freezes allow no rotation to start within ${ALLOWED_START_HORIZON_MS / 86_400_000} days of ${new Date(askedMs).toISOString()}`,
    );
  if (allowed.shift === undefined) return { atMs: allowed.atMs };
  const { shift } = allowed;
  return {
    atMs: allowed.atMs,
    deferral: {
      askedAt: askedMs,
      startsAt: allowed.atMs,
      kind: shift.kind,
      ...(shift.kind === 'freeze' && shift.freezeReason !== undefined
        ? { freezeReason: shift.freezeReason }
        : {}),
    },
  };
}

/**
 * Safety over policy: a before-expiry run that the windows would defer past its credential's expiry starts
 * when asked instead, and says why. Undefined when the windows allow the start, or the credential outlives
 * the wait (or its expiry is unknown).
 */
export function windowOverrideOf(
  policy: Pick<PolicyConfig, 'id' | 'windows'>,
  askedMs: number,
  expiresAtMs: number | undefined,
): WindowOverride | undefined {
  if (expiresAtMs === undefined) return undefined;
  const { deferral } = plannedStart(policy, askedMs);
  if (deferral === undefined || expiresAtMs > deferral.startsAt) return undefined;
  return {
    expiresAt: expiresAtMs,
    allowedAt: deferral.startsAt,
    kind: deferral.kind,
    ...(deferral.freezeReason === undefined ? {} : { freezeReason: deferral.freezeReason }),
  };
}

/** What keeps a deferred run from starting when asked, as a person reads it. */
export function deferralReason(deferral: Pick<StartDeferral, 'kind' | 'freezeReason'>): string {
  return deferral.kind === 'window'
    ? 'outside the policy’s allowed windows'
    : `in a change freeze${deferral.freezeReason === undefined ? '' : ` (${deferral.freezeReason})`}`;
}

/** A deferral as a person reads it: until when, and why. */
export function deferralText(deferral: StartDeferral): string {
  return `deferred until ${new Date(deferral.startsAt).toISOString()}: ${deferralReason(deferral)}`;
}

/** Why a rotation job that has never started waits for its policy's windows, or undefined (it does not). */
export function deferralOf(job: Job): StartDeferral | undefined {
  if (job.attemptsStarted > 0 || job.attemptsMade > 0) return undefined;
  return rotatePayloadSchema.safeParse(job.data).data?.deferred;
}
