import { RotationError } from '../../domain/errors.js';
import { fingerprint } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import type { Resolved } from '../../domain/secret-reference.js';
import { displacedCredential } from '../displaced-credential.js';
import type {
  Issued,
  IssueInput,
  ListedCredential,
  PolicyInput,
  RevokeInput,
  StepContext,
  VerifyInput,
  VerifyOutcome,
} from '../provider.js';
import { TagoioServiceAuthApi } from './tagoio.api.js';
import type { TagoioConnectionConfig, TagoioCredential, TagoioTarget } from './tagoio.schemas.js';
import { parseRotorTokenName, rotorTokenName } from './tagoio.token-name.js';

type Conn = Resolved<TagoioConnectionConfig>;

/** Creates the new token, named so rotor can recognise it later (policy and run in the name). */
export async function createServiceToken(
  input: IssueInput<Conn, TagoioTarget, TagoioCredential>,
  ctx: StepContext,
): Promise<Issued<TagoioCredential>> {
  const { target } = input;
  const expireTime =
    target.expireTime === 'never' ? 'never' : new Date(ctx.clock.now() + target.expireTime).toISOString();
  const name = rotorTokenName(target.name, ctx.policyId, ctx.runId);
  const created = await new TagoioServiceAuthApi(input.connection, ctx).create({
    name,
    permission: target.permission,
    expireTime,
    verificationCode: target.verificationCode,
  });
  const credential: TagoioCredential = {
    token: created.token,
    name: created.name,
    permission: target.permission,
    expireTime: expireTime === 'never' ? null : expireTime,
  };
  return {
    credential: Secret.of(credential),
    handle: fingerprint(created.token),
    ...(credential.expireTime === null ? {} : { expiresAt: new Date(credential.expireTime) }),
  };
}

/**
 * A service-authorization token cannot call the API itself, so verification asks TagoIO whether it lists
 * the new token with the expected name and permission.
 */
export async function verifyServiceToken(
  input: VerifyInput<Conn, TagoioTarget, TagoioCredential, never>,
  ctx: StepContext,
): Promise<VerifyOutcome> {
  const credential = input.credential.reveal();
  const listed = (await new TagoioServiceAuthApi(input.connection, ctx).list(credential.name)).find(
    (token) => token.token === credential.token,
  );
  if (!listed) {
    throw new RotationError('not-found', 'TagoIO does not list the new service authorization token');
  }
  if (listed.permission !== undefined && listed.permission !== credential.permission) {
    throw new RotationError(
      'protocol',
      `TagoIO lists the new token with permission ${listed.permission}, expected ${credential.permission}`,
    );
  }
  return {
    kind: 'metadata',
    reason: 'service-authorization tokens cannot call the API; TagoIO lists it as expected',
  };
}

/** Deletes the displaced token (read back from AWS); a token TagoIO no longer knows is already gone. */
export async function deleteServiceToken(
  input: RevokeInput<Conn, TagoioTarget, TagoioCredential>,
  ctx: StepContext,
): Promise<'revoked' | 'already-gone'> {
  const displaced = displacedCredential(input, (credential) => credential.token, 'TagoIO');
  return (await new TagoioServiceAuthApi(input.connection, ctx).delete(displaced.token))
    ? 'revoked'
    : 'already-gone';
}

/** Read-only: listing service authorizations proves the profile token and its permissions. */
export async function preflightServiceAuth(
  input: PolicyInput<Conn, TagoioTarget>,
  ctx: StepContext,
): Promise<void> {
  await new TagoioServiceAuthApi(input.connection, ctx).list(input.target.name);
}

/** The tokens rotor made for this policy (recognised by their names) that TagoIO still holds. */
export async function listRotorServiceTokens(
  input: PolicyInput<Conn, TagoioTarget>,
  ctx: StepContext,
): Promise<ListedCredential<TagoioCredential>[]> {
  const tokens = await new TagoioServiceAuthApi(input.connection, ctx).list();
  return tokens.flatMap((token) => {
    const made = parseRotorTokenName(token.name);
    if (made?.policyId !== ctx.policyId) return [];
    const credential: TagoioCredential = {
      token: token.token,
      name: token.name,
      permission: token.permission ?? input.target.permission,
      expireTime: token.expire_time && token.expire_time !== 'never' ? token.expire_time : null,
    };
    return [{ handle: fingerprint(token.token), runId: made.runId, credential: Secret.of(credential) }];
  });
}
