import { z } from 'zod';

/** Why a run started; `rollback` runs issue nothing: they put the previous credential back (`rotor rollback`). */
export const triggers = ['schedule', 'manual', 'expiry', 'initial', 'rollback'] as const;
export type Trigger = (typeof triggers)[number];
/** What starts a rotation job (a rollback is a job of its own). */
export type RotationTrigger = Exclude<Trigger, 'rollback'>;

/**
 * Last completed checkpoint of the in-flight run. Runs no longer write 'verified' or 'promoted' (both steps are
 * repeated on resume); records written by earlier versions may still hold them.
 */
export const runSteps = ['issuing', 'journaled', 'staged', 'verified', 'promoted'] as const;
export type RunStep = (typeof runSteps)[number];

const epochMs = z.number().int().nonnegative();

export const credentialRefSchema = z.strictObject({
  runId: z.string(),
  /** Non-secret id of the credential (token id, or a fingerprint where the token is its own id). */
  handle: z.string(),
  versionId: z.string(),
  fingerprint: z.string().optional(),
  expiresAt: epochMs.optional(),
});
export type CredentialRef = z.infer<typeof credentialRefSchema>;

export const inFlightSchema = z.strictObject({
  runId: z.string(),
  trigger: z.enum(triggers),
  issueAttempt: z.number().int().nonnegative(),
  step: z.enum(runSteps),
  startedAt: epochMs,
  handle: z.string().optional(),
  versionId: z.string().optional(),
  fingerprint: z.string().optional(),
  expiresAt: epochMs.optional(),
  /**
   * The AWSCURRENT version the run saw at its first AWS read (null: the secret had none). Promote moves
   * AWSCURRENT only away from this version, so a run working from a superseded view fails at AWS.
   */
  baseVersionId: z.string().nullable().optional(),
  /** The job working on the run (its fencing token): no other job's checkpoint is written while it holds its lock. */
  owner: z.string().optional(),
});
export type InFlight = z.infer<typeof inFlightSchema>;

export const lastErrorSchema = z.strictObject({
  kind: z.string(),
  message: z.string(),
  step: z.string().optional(),
  at: epochMs,
});

/** Everything rotor remembers about a policy: handles, fingerprints and version ids, never secret values. */
export const policyRecordSchema = z.strictObject({
  policyId: z.string(),
  /** Increases with every write; guards concurrent updates. */
  revision: z.number().int().nonnegative(),
  current: credentialRefSchema.optional(),
  previous: credentialRefSchema.optional(),
  inFlight: inFlightSchema.optional(),
  lastSuccessAt: epochMs.optional(),
  lastAttemptAt: epochMs.optional(),
  lastError: lastErrorSchema.optional(),
  consecutiveFailures: z.number().int().nonnegative(),
  /** Set when the failed runs in a row reached the policy's limit: scheduled runs stop until a success. */
  needsAttentionSince: epochMs.optional(),
  /** When the record was rebuilt from AWS after Redis lost it (its current and previous come from AWS's labels). */
  rebuiltAt: epochMs.optional(),
  /**
   * The latest rollback, until the next rotation: the version it took AWSCURRENT from (now `previous`, never
   * promoted again; AWS carries the same mark as its rotor-rolled-back label), its credential's handle and when.
   */
  rolledBack: z
    .strictObject({ versionId: z.string(), handle: z.string(), runId: z.string(), at: epochMs })
    .optional(),
});
export type PolicyRecord = z.infer<typeof policyRecordSchema>;

export const emptyRecord = (policyId: string): PolicyRecord => ({
  policyId,
  revision: 0,
  consecutiveFailures: 0,
});

/** What kept a rotation from starting when asked: a closed window, or a freeze (with its reason). */
const startBlockSchema = {
  kind: z.enum(['window', 'freeze']),
  freezeReason: z.string().optional(),
};

/** A run that waited for the policy's windows: asked to start at `askedAt`, allowed at `startsAt`. */
export const startDeferralSchema = z.strictObject({
  askedAt: epochMs,
  startsAt: epochMs,
  ...startBlockSchema,
});
export type StartDeferral = z.infer<typeof startDeferralSchema>;

/**
 * A before-expiry run that started although windows or a freeze did not allow it: the credential expires
 * (`expiresAt`) before the next allowed start (`allowedAt`), and a lapsed credential is an outage.
 */
export const windowOverrideSchema = z.strictObject({
  expiresAt: epochMs,
  allowedAt: epochMs,
  ...startBlockSchema,
});
export type WindowOverride = z.infer<typeof windowOverrideSchema>;

export const runHistoryEntrySchema = z.strictObject({
  runId: z.string(),
  trigger: z.enum(triggers),
  startedAt: epochMs,
  finishedAt: epochMs,
  durationMs: z.number().int().nonnegative(),
  outcome: z.enum(['succeeded', 'failed']),
  steps: z.array(z.string()),
  versionId: z.string().optional(),
  error: z.strictObject({ kind: z.string(), message: z.string(), step: z.string().optional() }).optional(),
  /**
   * Who asked for the run and why (on-demand runs), as the request that finished it said: `reason` and
   * `requestedBy` are the requester's own words; `apiTokenName` is the configured name (or fingerprint) of the
   * API token that authenticated an HTTP request, which the requester cannot choose.
   */
  reason: z.string().optional(),
  requestedBy: z.string().optional(),
  apiTokenName: z.string().optional(),
  /** The requester started the run outside the policy's windows (`rotor rotate --force`, `"force": true`). */
  forced: z.literal(true).optional(),
  deferred: startDeferralSchema.optional(),
  windowOverride: windowOverrideSchema.optional(),
});
export type RunHistoryEntry = z.infer<typeof runHistoryEntrySchema>;

/** Who asked for a run and why, and how the policy's windows bore on its start, as its history entry keeps it. */
export type RunAudit = Pick<
  RunHistoryEntry,
  'reason' | 'requestedBy' | 'apiTokenName' | 'forced' | 'deferred' | 'windowOverride'
>;
