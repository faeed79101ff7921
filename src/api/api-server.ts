import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiConnectionLimits } from '../config/rotor-config.js';
import type { ApiDeps } from './api-deps.js';
import { sendError } from './api-errors.js';
import { createBearerCheck } from './bearer-auth.js';
import { capConnections, timeoutOptions } from './connection-limits.js';
import { registerConsumerAckRoute } from './consumer-ack-route.js';
import { registerHealthRoutes } from './health-routes.js';
import { openApiDocument } from './openapi-document.js';
import { registerPolicyRoutes } from './policy-routes.js';
import { registerQueueDashboard } from './queue-dashboard.js';
import { requestLogSerializers } from './request-log.js';
import { registerRunRoutes } from './run-routes.js';

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/openapi.json']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route checks its own credential (a consumer's ack token), not the shared API tokens. */
    readonly ownAuth?: boolean;
  }
  interface FastifyRequest {
    /** The name of the API token the request presented (its fingerprint when unnamed); unset on public paths. */
    apiTokenName: string | undefined;
  }
}

/** rotor's HTTP API: probes and the OpenAPI document in the open, everything else behind a bearer token. */
export function buildApiServer(deps: ApiDeps, limits: ApiConnectionLimits): FastifyInstance {
  // Typed as Fastify's base logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.log.child(
    { component: 'api' },
    { serializers: requestLogSerializers },
  );
  const app = Fastify({ loggerInstance, bodyLimit: 16_384, ...timeoutOptions(limits) });
  capConnections(app.server, limits.maxConnections, deps.log, deps.clock);
  app.decorateRequest('apiTokenName', undefined);
  const tokenNamed = createBearerCheck(deps.tokens);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC_PATHS.has(path) || request.routeOptions.config?.ownAuth === true) return;
    request.apiTokenName = tokenNamed(request.headers.authorization);
    if (request.apiTokenName !== undefined) return;
    reply.header('www-authenticate', 'Bearer');
    return sendError(reply, 401, 'unauthorized', 'a valid bearer token is required');
  });
  const { redactor } = deps;
  if (redactor) {
    // Every body the API sends, whatever route made it: serialised JSON, /metrics text, the dashboard's API.
    app.addHook('onSend', async (_request, _reply, payload) =>
      typeof payload === 'string' ? redactor.redact(payload) : payload,
    );
  }
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
  registerConsumerAckRoute(app, deps);
  if (deps.dashboard)
    registerQueueDashboard(app, deps.dashboard.queues, { readOnly: deps.dashboard.readOnly });
  return app;
}
