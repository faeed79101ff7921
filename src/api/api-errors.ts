import type { FastifyReply } from 'fastify';

export type ApiErrorCode =
  | 'unauthorized'
  | 'not_found'
  | 'invalid_request'
  | 'not_current'
  | 'held'
  | 'rollback_refused'
  | 'internal';

/** Every error the API answers has this body: a stable code and a human message, never a secret. */
export interface ApiErrorBody {
  readonly error: ApiErrorCode;
  readonly message: string;
}

export function sendError(reply: FastifyReply, status: number, error: ApiErrorCode, message: string) {
  const body: ApiErrorBody = { error, message };
  return reply.code(status).send(body);
}
