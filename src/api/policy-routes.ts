import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PolicyConfig } from '../config/rotor-config.js';
import type { ConsumersView } from '../consumers/consumer-view.js';
import { heldRefusal } from '../consumers/held-refusal.js';
import type { RunHistoryEntry } from '../domain/policy-record.js';
import { withConsumers } from '../queue/consumer-statuses.js';
import { SkippedJobs } from '../queue/corrupt-jobs.js';
import { fleetStatuses } from '../queue/fleet-view.js';
import { type PolicyStatus, policyStatus } from '../queue/policy-status.js';
import { requestRollback } from '../queue/rollback-requests.js';
import { requestRotation } from '../queue/rotation-requests.js';
import type { ApiDeps } from './api-deps.js';
import { sendError } from './api-errors.js';

const HISTORY_SHOWN = 20;

const rotationRequestSchema = z
  .strictObject({
    reason: z.string().min(1).max(500).optional(),
    requestedBy: z.string().min(1).max(200).optional(),
    /** Start now even outside the policy's windows and freezes (recorded in the run history). */
    force: z.boolean().optional(),
  })
  .default({});

const rollbackRequestSchema = z
  .strictObject({
    reason: z.string().min(1).max(500).optional(),
    requestedBy: z.string().min(1).max(200).optional(),
    /** Revoke the rolled-back credential at once instead of after the policy's grace period. */
    revokeNow: z.boolean().optional(),
  })
  .default({});

/** The consumers' states shown on the latest run that made the current version. */
function withConsumersOnLatest(
  history: readonly RunHistoryEntry[],
  currentVersionId: string | undefined,
  consumers: ConsumersView | undefined,
): (RunHistoryEntry & { consumers?: ConsumersView['list'] })[] {
  if (consumers === undefined || currentVersionId === undefined) return [...history];
  const latest = history.findIndex((entry) => entry.versionId === currentVersionId);
  return history.map((entry, index) => (index === latest ? { ...entry, consumers: consumers.list } : entry));
}

function described(policy: PolicyConfig, status: PolicyStatus) {
  return {
    ...status,
    provider: policy.connection.provider.id,
    action: policy.action,
    secretId: policy.secret.id,
  };
}

/** Policies and on-demand rotations: ids, times, states and sanitised errors only. */
export function registerPolicyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // A job whose hash does not parse is left out and named in `corruptJobs`: the other policies still answer.
  app.get('/v1/policies', async () => {
    const policies = [...deps.policies.values()];
    const fleet = await fleetStatuses(deps.queue, deps.records, policies);
    const { corruptJobs } = fleet;
    const statuses = await withConsumers(deps.consumers, policies, fleet.statuses);
    deps.corruptJobs.note(corruptJobs);
    return {
      policies: policies.map((policy, i) => described(policy, statuses[i] as PolicyStatus)),
      corruptJobs,
    };
  });

  app.get<{ Params: { id: string } }>('/v1/policies/:id', async (request, reply) => {
    const policy = deps.policies.get(request.params.id);
    if (!policy) return sendError(reply, 404, 'not_found', `no policy "${request.params.id}" in the config`);
    const skipped = new SkippedJobs();
    const read = await policyStatus(deps.queue, policy, await deps.records.get(policy.id), skipped);
    const [status = read] = await withConsumers(deps.consumers, [policy], [read]);
    const corruptJobs = skipped.list();
    deps.corruptJobs.note(corruptJobs);
    const history = await deps.history.recent(policy.id, HISTORY_SHOWN);
    return {
      policy: described(policy, status),
      history: withConsumersOnLatest(history, status.currentVersionId, status.consumers),
      corruptJobs,
    };
  });

  app.post<{ Params: { id: string } }>('/v1/policies/:id/rotations', async (request, reply) => {
    const policy = deps.policies.get(request.params.id);
    if (!policy) return sendError(reply, 404, 'not_found', `no policy "${request.params.id}" in the config`);
    const body = rotationRequestSchema.safeParse(request.body ?? undefined);
    if (!body.success) {
      const where = body.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
      return sendError(reply, 400, 'invalid_request', where.join('; '));
    }
    const held = await heldRefusal(deps.consumers, policy);
    if (held && body.data.force !== true) return sendError(reply, 409, 'held', `${held} ("force": true)`);
    const requestedBy = body.data.requestedBy ?? 'http-api';
    const { apiTokenName } = request;
    const requested = await requestRotation(deps.queue, policy, 'manual', {
      nowMs: deps.clock.now(),
      requestedBy,
      ...(body.data.reason === undefined ? {} : { reason: body.data.reason }),
      ...(apiTokenName === undefined ? {} : { apiTokenName }),
      ...(body.data.force === true ? { force: true } : {}),
      ...(held ? { forcedPastHold: true } : {}),
    });
    const { deferral } = requested;
    request.log.info(
      {
        policyId: policy.id,
        jobId: requested.jobId,
        joined: requested.joined,
        requestedBy,
        apiTokenName,
        force: body.data.force,
        startsAt: deferral && new Date(deferral.startsAt).toISOString(),
      },
      'rotation requested through the API',
    );
    return reply.code(requested.joined ? 200 : 202).send({
      runId: requested.jobId,
      status: requested.joined ? 'already-pending' : 'queued',
      ...(deferral === undefined
        ? {}
        : {
            deferred: {
              startsAt: new Date(deferral.startsAt).toISOString(),
              closedBy: deferral.kind,
              ...(deferral.freezeReason === undefined ? {} : { freezeReason: deferral.freezeReason }),
            },
          }),
    });
  });

  app.post<{ Params: { id: string } }>('/v1/policies/:id/rollback', async (request, reply) => {
    const policy = deps.policies.get(request.params.id);
    if (!policy) return sendError(reply, 404, 'not_found', `no policy "${request.params.id}" in the config`);
    const body = rollbackRequestSchema.safeParse(request.body ?? undefined);
    if (!body.success) {
      const where = body.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
      return sendError(reply, 400, 'invalid_request', where.join('; '));
    }
    const requestedBy = body.data.requestedBy ?? 'http-api';
    const { apiTokenName } = request;
    const requested = await requestRollback(deps.queue, policy, await deps.records.get(policy.id), {
      nowMs: deps.clock.now(),
      requestedBy,
      ...(body.data.reason === undefined ? {} : { reason: body.data.reason }),
      ...(apiTokenName === undefined ? {} : { apiTokenName }),
      ...(body.data.revokeNow === true ? { revokeNow: true } : {}),
    });
    if (requested.kind === 'refused') return sendError(reply, 409, 'rollback_refused', requested.reason);
    request.log.info(
      { policyId: policy.id, jobId: requested.jobId, joined: requested.joined, requestedBy, apiTokenName },
      'rollback requested through the API',
    );
    return reply.code(requested.joined ? 200 : 202).send({
      runId: requested.jobId,
      status: requested.joined ? 'already-pending' : 'queued',
      fromVersionId: requested.fromVersionId,
      toVersionId: requested.toVersionId,
    });
  });
}
