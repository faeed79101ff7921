import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './api-deps.js';
import { readinessProblems } from './readiness.js';

/** Probes for orchestrators; unauthenticated, and they reveal nothing but reachability. */
export function registerHealthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const problems = await readinessProblems(deps);
    if (problems.length === 0) return { status: 'ready' };
    return reply.code(503).send({ status: 'unready', problems });
  });
}
