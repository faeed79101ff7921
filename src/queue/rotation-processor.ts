import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { sweepAlerts } from './alert-sweep.js';
import { JOB, type RotateJobResult } from './job-payloads.js';
import { redactedThrow, withJobSecrets } from './job-secrets.js';
import { consumersCheck } from './jobs/consumers-check-job.js';
import { orphanSweep } from './jobs/orphan-sweep-job.js';
import { reload } from './jobs/reload-job.js';
import { request } from './jobs/request-job.js';
import { revoke } from './jobs/revoke-job.js';
import { type RollbackJobResult, rollback } from './jobs/rollback-job.js';
import { rotate } from './jobs/rotate-job.js';
import { trigger } from './jobs/trigger-job.js';
import type { ProcessorDeps } from './processor-deps.js';

export type { ProcessorDeps } from './processor-deps.js';

type JobResult = RotateJobResult | RollbackJobResult | string | number;

/**
 * One processor for rotor's queue: dispatches by job name; a malformed job fails alone, with its reason. Each
 * job holds the credentials it handles in a secret scope of its own while it runs, and what it throws is
 * redacted before BullMQ stores it.
 */
export function createRotationProcessor(deps: ProcessorDeps) {
  return async (job: Job, token?: string): Promise<JobResult> => {
    const { redactor } = deps;
    if (redactor === undefined) return processJob(deps, job, token);
    const secrets = redactor.scope();
    try {
      return await processJob(withJobSecrets(deps, secrets), job, token);
    } catch (error) {
      throw redactedThrow(error, redactor);
    } finally {
      secrets.release();
    }
  };
}

async function processJob(deps: ProcessorDeps, job: Job, token: string | undefined): Promise<JobResult> {
  switch (job.name) {
    case JOB.trigger:
      return trigger(deps, job);
    case JOB.rotate:
      return rotate(deps, job, token);
    case JOB.revoke:
      return revoke(deps, job, token);
    case JOB.reload:
      return reload(deps, job);
    case JOB.consumersCheck:
      return consumersCheck(deps, job, token);
    case JOB.request:
      return request(deps, job);
    case JOB.rollback:
      return rollback(deps, job, token);
    case JOB.orphanSweep:
      return orphanSweep(deps);
    case JOB.sweep:
      if (!deps.alerts) throw new UnrecoverableError('sweep job, but no alerts are configured');
      return sweepAlerts({ ...deps, alerts: deps.alerts });
    default:
      throw new UnrecoverableError(`unknown job name "${job.name}"`);
  }
}
