import type { Job, Queue } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { z } from 'zod';
import type { AlertSink } from '../alerts/alert-publisher.js';
import type { PolicyConfig } from '../config/rotor-config.js';
import type { ConsumerStateStore } from '../consumers/consumer-state.js';
import type { SecretRedactor, SecretScope } from '../domain/secret-redactor.js';
import type { RotationDeps } from '../engine/run-rotation.js';
import type { CorruptJobLog } from './corrupt-jobs.js';
import { payloadProblem } from './job-payloads.js';
import type { RunMetrics } from './run-metrics.js';

export interface ProcessorDeps extends RotationDeps {
  readonly queue: Queue;
  readonly policies: ReadonlyMap<string, PolicyConfig>;
  readonly metrics?: RunMetrics;
  readonly alerts?: AlertSink;
  /** The policies' consumers: confirmations, reload outcomes and holds. */
  readonly consumers?: ConsumerStateStore;
  /** Logs each corrupt job a fleet read (the alert sweep) skipped, once. */
  readonly corruptJobs: CorruptJobLog;
  /** Removes secret values from what jobs store, alert and throw; each job holds its credentials there. */
  readonly redactor?: SecretRedactor;
  /** The running job's registrations (set per job by the processor): credentials it handles, held until it ends. */
  readonly secrets?: SecretScope;
}

/** The job's policy; a job for a policy the config no longer has fails alone. */
export function policyFor(deps: ProcessorDeps, policyId: string, jobName: string): PolicyConfig {
  const policy = deps.policies.get(policyId);
  if (!policy)
    throw new UnrecoverableError(`${jobName} job for policy ${policyId}, which is not in the config`);
  return policy;
}

/** The job's payload by its schema; a malformed job fails alone, with the field named. */
export function parse<T>(
  job: Job,
  schema: {
    safeParse(data: unknown): { success: true; data: T } | { success: false; error: z.ZodError };
  },
): T {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(payloadProblem(job.name, parsed.error));
  return parsed.data;
}

/**
 * The job as the fencing token of the policy's run (its id), and the token its BullMQ lock holds while this
 * worker owns it: what a run's checkpoints are written under.
 */
export function jobFence(
  job: Job,
  token: string | undefined,
): { readonly owner?: string; readonly lockToken?: string } {
  return {
    ...(job.id === undefined ? {} : { owner: job.id }),
    ...(token === undefined ? {} : { lockToken: token }),
  };
}
