import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiDeps } from './api-deps.js';
import { sendError } from './api-errors.js';
import { createBearerCheck } from './bearer-auth.js';
import { registerHealthRoutes } from './health-routes.js';
import { openApiDocument } from './openapi-document.js';
import { registerPolicyRoutes } from './policy-routes.js';
import { registerQueueDashboard } from './queue-dashboard.js';
import { registerRunRoutes } from './run-routes.js';

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/openapi.json']);

/** rotor's HTTP API: probes and the OpenAPI document in the open, everything else behind a bearer token. */
export function buildApiServer(deps: ApiDeps): FastifyInstance {
  // Typed as Fastify's base logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.log.child({ component: 'api' });
  const app = Fastify({ loggerInstance, bodyLimit: 16_384 });
  const authorized = createBearerCheck(deps.tokens);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC_PATHS.has(path) || authorized(request.headers.authorization)) return;
    reply.header('www-authenticate', 'Bearer');
    return sendError(reply, 401, 'unauthorized', 'a valid bearer token is required');
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
  );
  app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500)
      return sendError(reply, status, 'invalid_request', error.message ?? 'invalid request');
    deps.log.error({ err: error }, 'API request failed');
    return sendError(reply, 500, 'internal', 'internal error (see the daemon log)');
  });
  app.get('/openapi.json', async () => openApiDocument);
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
  registerHealthRoutes(app, deps);
  registerPolicyRoutes(app, deps);
  registerRunRoutes(app, deps);
  if (deps.dashboard)
    registerQueueDashboard(app, deps.dashboard.queues, { readOnly: deps.dashboard.readOnly });
  return app;
}
