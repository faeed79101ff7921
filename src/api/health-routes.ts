import type { FastifyInstance } from 'fastify';
import { connectedServer } from '../lib/redis-peer.js';
import type { ApiDeps } from './api-deps.js';
import { createReadinessCheck, type ReadinessProblem } from './readiness.js';

/**
 * Probes for orchestrators; unauthenticated, so they reveal nothing but the kinds of problem. The details
 * are logged when the set of problems changes, and served to bearer callers at /v1/readiness. Both share one
 * readiness check, whose call to the sink serves every probe for a few seconds.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  let lastReported = '';
  const readiness = createReadinessCheck(deps);
  const check = async (): Promise<ReadinessProblem[]> => {
    const problems = await readiness();
    const reported = problems.map((problem) => `${problem.kind}: ${problem.detail}`).join('; ');
    if (reported !== lastReported) {
      lastReported = reported;
      if (problems.length > 0) deps.log.warn({ problems }, 'not ready');
      else deps.log.info('ready');
    }
    return problems;
  };
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const problems = await check();
    if (problems.length === 0) return { status: 'ready' };
    return reply.code(503).send({ status: 'unready', problems: problems.map((problem) => problem.kind) });
  });
  // Behind the bearer check, as every /v1 route: the kinds with their details.
  app.get('/v1/readiness', async (_request, reply) => {
    const problems = await check();
    return reply.code(problems.length === 0 ? 200 : 503).send({
      status: problems.length === 0 ? 'ready' : 'unready',
      problems,
      // For a Sentinel group: the master in use now.
      redis: connectedServer(deps.redis) ?? null,
    });
  });
}
