import { type Job, UnrecoverableError } from 'bullmq';
import { heldRefusal } from '../../consumers/held-refusal.js';
import { requestPayloadSchema } from '../job-payloads.js';
import { type ProcessorDeps, parse, policyFor } from '../processor-deps.js';
import { requestRotation } from '../rotation-requests.js';

/** A rotation asked for by another service through the queue: exactly what `rotor rotate` does. */
export async function request(deps: ProcessorDeps, job: Job): Promise<string> {
  const payload = parse(job, requestPayloadSchema);
  const policy = policyFor(deps, payload.policyId, job.name);
  const held =
    payload.force === true || !deps.consumers ? undefined : await heldRefusal(deps.consumers, policy);
  if (held) throw new UnrecoverableError(`${held} (force: true)`);
  const requested = await requestRotation(deps.queue, policy, 'manual', {
    nowMs: deps.clock.now(),
    ...(payload.reason === undefined ? {} : { reason: payload.reason }),
    ...(payload.requestedBy === undefined ? {} : { requestedBy: payload.requestedBy }),
    ...(payload.force === true ? { force: true } : {}),
    ...(held ? { forcedPastHold: true } : {}),
  });
  deps.log.info(
    {
      policyId: policy.id,
      jobId: requested.jobId,
      joined: requested.joined,
      requestedBy: payload.requestedBy,
      force: payload.force,
      startsAt: requested.deferral && new Date(requested.deferral.startsAt).toISOString(),
    },
    'rotation requested through the queue',
  );
  return requested.jobId;
}
