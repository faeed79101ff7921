import type { FastifyInstance } from 'fastify';
import type { PolicyConfig } from '../config/rotor-config.js';
import { revokeJobIdFor } from '../queue/job-payloads.js';
import type { ApiDeps } from './api-deps.js';
import { sendError } from './api-errors.js';
import { createBearerCheck } from './bearer-auth.js';

const VERSION_ID = /^[A-Za-z0-9-]{32,64}$/;

/** Per policy: which of its ack consumers an `Authorization` header names (constant-time), if any. */
function ackCheckers(policies: ReadonlyMap<string, PolicyConfig>) {
  const checkers = new Map<string, (header: string | undefined) => string | undefined>();
  for (const policy of policies.values()) {
    const tokens = (policy.consumers?.list ?? []).flatMap((consumer) =>
      consumer.confirm?.kind === 'ack' ? [{ name: consumer.name, token: consumer.confirm.token }] : [],
    );
    if (tokens.length > 0) checkers.set(policy.id, createBearerCheck(tokens));
  }
  return checkers;
}

/**
 * `POST /v1/policies/:id/versions/:versionId/ack`: a consumer says it uses that AWS version. Authenticated by
 * the consumer's own token (not the API's shared ones: an API token holder cannot ack for a consumer, nor one
 * consumer for another); the token names the consumer. An ack of the current version wakes the revokes that
 * wait for it.
 */
export function registerConsumerAckRoute(app: FastifyInstance, deps: ApiDeps): void {
  const checkers = ackCheckers(deps.policies);
  app.post<{ Params: { id: string; versionId: string } }>(
    '/v1/policies/:id/versions/:versionId/ack',
    { config: { ownAuth: true } },
    async (request, reply) => {
      const { id, versionId } = request.params;
      const policy = deps.policies.get(id);
      const consumer = checkers.get(id)?.(request.headers.authorization);
      // The same answer for an unknown policy and a wrong token: a caller without a token learns nothing.
      if (!policy || consumer === undefined) {
        reply.header('www-authenticate', 'Bearer');
        return sendError(reply, 401, 'unauthorized', "a consumer's ack token for this policy is required");
      }
      if (!VERSION_ID.test(versionId))
        return sendError(reply, 400, 'invalid_request', 'versionId: expected an AWS version id');
      const record = await deps.records.get(policy.id);
      const current = record.current?.versionId;
      if (current !== undefined && current !== versionId) {
        return sendError(
          reply,
          409,
          'not_current',
          `version ${versionId} is not the current version of policy ${policy.id} (${current}): load that one and ack it`,
        );
      }
      const confirmedAt = deps.clock.now();
      await deps.consumers.confirm(policy.id, consumer, { versionId, at: confirmedAt, via: 'ack' });
      request.log.info({ policyId: policy.id, consumer, versionId }, 'consumer confirmed the version');
      await wakeWaitingRevokes(deps, policy, record.previous?.versionId);
      return { policyId: policy.id, consumer, versionId, confirmedAt: new Date(confirmedAt).toISOString() };
    },
  );
}

/** The revokes that wait for confirmations look again now rather than at their next recheck. */
async function wakeWaitingRevokes(deps: ApiDeps, policy: PolicyConfig, previous: string | undefined) {
  const { held } = await deps.consumers.read(policy.id);
  const versions = new Set([previous, ...held.map((version) => version.versionId)]);
  for (const versionId of versions) {
    if (versionId === undefined) continue;
    const job = await deps.queue.getJob(revokeJobIdFor(policy.id, versionId));
    try {
      if (job && (await job.isDelayed())) await job.promote();
    } catch (error) {
      // It started or finished meanwhile: it reads the confirmation itself.
      deps.log.debug({ err: error, jobId: job?.id }, 'waiting revoke not woken');
    }
  }
}
