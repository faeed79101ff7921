import { z } from 'zod';
import { RotationError } from '../../domain/errors.js';
import type { HttpResponse } from '../../lib/http-client.js';
import { failureOf, readBody, type VendorWire } from '../vendor-wire.js';

export const TELENOR = 'telenor';

/** Which admin credential a `/tokens` call presented (it decides how a refusal is explained). */
export type AdminCredential = 'session' | 'apiToken';

export const tokenSchema = z.looseObject({
  token: z.string().min(1),
  resource: z.string(),
  write: z.boolean(),
  /** Omitted by the API when the token has no tags. */
  tags: z.record(z.string(), z.string()).optional(),
});
export type WireToken = z.infer<typeof tokenSchema>;

const errorBodySchema = z.looseObject({ status: z.number().optional(), message: z.string() });

export const telenorWire: VendorWire = {
  system: TELENOR,
  errorOf(body) {
    const parsed = errorBodySchema.safeParse(body);
    return parsed.success ? { message: parsed.data.message } : undefined;
  },
};

const RENEWAL =
  'Telenor sessions expire and rotor cannot renew them: the session must be renewed by logging in through CONNECT ID again and storing the new session cookie where the connection’s session reference points';

/**
 * Why `/tokens` refused the admin credential, for the operator. Telenor documents that the token resource is
 * reachable only from a CONNECT ID login, not via an API token.
 */
export function refusalExplanation(via: AdminCredential, status: number): string {
  if (via === 'apiToken') {
    return `Telenor manages API tokens (/tokens) only from a CONNECT ID login session, not with another API token: set the connection’s session to the Cookie header value of a CONNECT ID session. ${RENEWAL}`;
  }
  const why =
    status === 401
      ? 'the configured session was refused, most likely because it has expired'
      : 'the configured session was refused: it has expired, or its user is not an admin of the team that owns the tokens';
  return `Telenor manages API tokens (/tokens) only from a CONNECT ID login session, and ${why}. ${RENEWAL}`;
}

/**
 * A failed call as a RotationError built from status and the sanitised vendor message only. `via` is set
 * for `/tokens` calls: their 401/403 are `auth` failures that explain the CONNECT ID session rule.
 */
export function telenorFailure(
  operation: string,
  response: HttpResponse,
  nowMs: number,
  via: AdminCredential | undefined,
): RotationError {
  const failure = failureOf(telenorWire, operation, response, nowMs);
  if (via !== undefined && (response.status === 401 || response.status === 403)) {
    return new RotationError(
      'auth',
      `${failure.message}. ${refusalExplanation(via, response.status)}`,
      failure.details,
    );
  }
  return failure;
}

/** The body parsed with `schema`, or a classified failure; a 2xx of the wrong shape is a protocol failure. */
export function readTelenorBody<T>(
  operation: string,
  response: HttpResponse,
  schema: z.ZodType<T>,
  nowMs: number,
  via: AdminCredential | undefined,
): T {
  return readBody(telenorWire, operation, response, schema, nowMs, (failed) =>
    telenorFailure(operation, failed, nowMs, via),
  );
}
