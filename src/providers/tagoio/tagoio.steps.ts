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
import { TAGOIO } from './tagoio.wire.js';

type Conn = Resolved<TagoioConnectionConfig>;

/**
 * Creates the new token, named so rotor can recognise it later (policy and run in the name). The current
 * token, when there is one, is left alone: both work until the revoke step deletes it after the grace period.
 */
export async function createServiceToken(
  input: IssueInput<Conn, TagoioTarget, TagoioCredential>,
  ctx: StepContext,
): Promise<Issued<TagoioCredential>> {
  const { target } = input;
  const api = new TagoioServiceAuthApi(input.connection, ctx);
  const name = rotorTokenName(target.name, ctx.policyId, ctx.runId);
  const expireTime =
    target.expireTime === 'never' ? 'never' : new Date(ctx.clock.now() + target.expireTime).toISOString();
  const created = await api.create({
    name,
    permission: target.permission,
    expireTime,
    verificationCode: target.verificationCode,
  });
  const handle = fingerprint(created.token);
  if (created.name !== name) {
    ctx.log.warn(
      { system: TAGOIO, handle },
      'TagoIO stored the new token under another name than rotor gave it; the orphan sweep will not recognise it',
    );
  }
  const current = input.current?.reveal();
  if (current !== undefined) {
    ctx.log.info(
      { system: TAGOIO, handle, displacedHandle: fingerprint(current.token) },
      'new TagoIO token created; the current one keeps working until it is deleted after the grace period',
    );
  }
  return issuedOf({
    token: created.token,
    name: created.name,
    permission: target.permission,
    expireTime: expireTime === 'never' ? null : expireTime,
  });
}

function issuedOf(credential: TagoioCredential): Issued<TagoioCredential> {
  return {
    credential: Secret.of(credential),
    handle: fingerprint(credential.token),
    ...(credential.expireTime === null ? {} : { expiresAt: new Date(credential.expireTime) }),
  };
}

/** Whether a listed `expire_time` (ISO 8601, `never` or null) is in the past. */
function hasExpired(expireTime: string | null | undefined, nowMs: number): boolean {
  if (expireTime === undefined || expireTime === null || expireTime === 'never') return false;
  const at = Date.parse(expireTime);
  return !Number.isNaN(at) && at <= nowMs;
}

/**
 * A service-authorization token cannot call TagoIO's API itself, and TagoIO documents no call that checks
 * one, so verification is by metadata: TagoIO must list the new token (looked up by its name) with the
 * expected name and permission, and not expired.
 */
export async function verifyServiceToken(
  input: VerifyInput<Conn, TagoioTarget, TagoioCredential, never>,
  ctx: StepContext,
): Promise<VerifyOutcome> {
  const credential = input.credential.reveal();
  const details = { system: TAGOIO, operation: 'verify service authorization' };
  const listed = (await new TagoioServiceAuthApi(input.connection, ctx).list(credential.name)).find(
    (token) => token.token === credential.token,
  );
  if (!listed) {
    throw new RotationError(
      'not-found',
      'TagoIO does not list the new service-authorization token under its name',
      details,
    );
  }
  if (listed.permission !== undefined && listed.permission !== credential.permission) {
    throw new RotationError(
      'protocol',
      `TagoIO lists the new token with permission ${listed.permission}, expected ${credential.permission}`,
      details,
    );
  }
  if (hasExpired(listed.expire_time, ctx.clock.now())) {
    throw new RotationError('auth', 'TagoIO lists the new token as already expired', details);
  }
  return {
    kind: 'metadata',
    reason:
      'a service-authorization token cannot call the TagoIO API, so rotor checked that TagoIO lists it with its name, permission and expiry',
  };
}

/**
 * Deletes the displaced token (read back from AWS). A 404 is "already gone" only once TagoIO's list, reached
 * at the same base URL, confirms it no longer holds the token: a 404 must never hide a live token.
 */
export async function deleteServiceToken(
  input: RevokeInput<Conn, TagoioTarget, TagoioCredential>,
  ctx: StepContext,
): Promise<'revoked' | 'already-gone'> {
  const displaced = displacedCredential(input, (credential) => credential.token, 'TagoIO');
  const api = new TagoioServiceAuthApi(input.connection, ctx);
  if (await api.delete(displaced.token)) return 'revoked';
  const listed = await api.list(displaced.name);
  if (listed.some((token) => token.token === displaced.token)) {
    throw new RotationError(
      'protocol',
      'TagoIO answered 404 to deleting the displaced token but still lists it',
      { system: TAGOIO, operation: 'delete service authorization', status: 404 },
    );
  }
  return 'already-gone';
}

/**
 * Read-only: listing the target's tokens proves the profile token and its Service Authorization *Access*
 * right. Whether it may also create and delete shows only when a rotation does.
 */
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
