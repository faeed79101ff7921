import { RotationError } from '../../domain/errors.js';
import { fingerprint } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import type { Resolved } from '../../domain/secret-reference.js';
import { displacedCredential } from '../displaced-credential.js';
import type {
  Issued,
  IssueInput,
  PolicyInput,
  RevokeInput,
  StepContext,
  VerifyInput,
  VerifyOutcome,
} from '../provider.js';
import { TelenorTokensApi } from './telenor.api.js';
import type { TelenorConnectionConfig, TelenorCredential, TelenorTarget } from './telenor.schemas.js';

type Conn = Resolved<TelenorConnectionConfig>;

/** Tags rotor puts on every token it creates, so a sweep can tell its tokens from everyone else's. */
export function rotorTags(policyId: string, runId: string): Record<string, string> {
  return { 'managed-by': 'rotor', policy: policyId, run: runId };
}

/**
 * Creates the new token with the target's resource, write and tags, each copied from the current token
 * when the policy does not set it. A first run (no current token) needs resource and write in the config.
 */
export async function createToken(
  input: IssueInput<Conn, TelenorTarget, TelenorCredential>,
  ctx: StepContext,
): Promise<Issued<TelenorCredential>> {
  const api = new TelenorTokensApi(input.connection, ctx);
  const current = input.current?.reveal();
  const needsCurrent =
    input.target.resource === undefined ||
    input.target.write === undefined ||
    input.target.tags === undefined;
  const template = current && needsCurrent ? await api.get(current.token) : undefined;
  const resource = input.target.resource ?? template?.resource;
  const write = input.target.write ?? template?.write;
  if (resource === undefined || write === undefined) {
    throw new RotationError(
      'invalid-config',
      'there is no current token to copy resource and write from: set target.resource and target.write for the first run',
    );
  }
  const inherited = Object.fromEntries(
    Object.entries(input.target.tags ?? template?.tags ?? {}).filter(
      ([name]) => !['managed-by', 'policy', 'run'].includes(name),
    ),
  );
  const created = await api.create({
    resource,
    write,
    tags: { ...inherited, ...rotorTags(ctx.policyId, ctx.runId) },
  });
  const credential: TelenorCredential = {
    token: created.token,
    resource: created.resource,
    write: created.write,
    tags: created.tags ?? {},
  };
  return { credential: Secret.of(credential), handle: fingerprint(created.token) };
}

/** The new token against `GET /`: 200, or 403 for a restricted token, prove the API accepts it. */
export async function verifyToken(
  input: VerifyInput<Conn, TelenorTarget, TelenorCredential, never>,
  ctx: StepContext,
): Promise<VerifyOutcome> {
  const outcome = await new TelenorTokensApi(input.connection, ctx).ping(input.credential.reveal().token);
  if (outcome === 'refused') {
    throw new RotationError('auth', 'telenor refused the new token on GET / (HTTP 401)', {
      system: 'telenor',
      operation: 'check token',
      status: 401,
    });
  }
  return { kind: 'end-to-end' };
}

/** Deletes the displaced token (read back from AWS); a token the API no longer knows is already gone. */
export async function deleteToken(
  input: RevokeInput<Conn, TelenorTarget, TelenorCredential>,
  ctx: StepContext,
): Promise<'revoked' | 'already-gone'> {
  const displaced = displacedCredential(input, (credential) => credential.token, 'Telenor');
  return (await new TelenorTokensApi(input.connection, ctx).delete(displaced.token))
    ? 'revoked'
    : 'already-gone';
}

/** Read-only: listing tokens proves the session (or API token) may manage them. */
export async function preflightTokens(
  input: PolicyInput<Conn, TelenorTarget>,
  ctx: StepContext,
): Promise<void> {
  await new TelenorTokensApi(input.connection, ctx).list();
}
