import type { FastifyReply, FastifyRequest } from 'fastify';

/** The pattern the request matched (`/v1/policies/:id`); absent for a path no route serves. */
const routeOf = (request: FastifyRequest): string | undefined => request.routeOptions?.url;

/**
 * How the API's log shows requests and replies: method, route and status, never the URL as sent. A query
 * string (`?access_token=…`) or an unknown path can carry a credential.
 */
export const requestLogSerializers = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    route: routeOf(request),
    remoteAddress: request.ip,
  }),
  res: (reply: FastifyReply) => ({ statusCode: reply.statusCode, route: routeOf(reply.request) }),
};
