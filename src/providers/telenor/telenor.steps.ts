import { isRotationError, RotationError } from '../../domain/errors.js';
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
import { TelenorTokensApi } from './telenor.api.js';
import {
  ROTOR_TAG_NAMES,
  type TelenorConnectionConfig,
  type TelenorCredential,
  type TelenorTarget,
} from './telenor.schemas.js';
import type { WireToken } from './telenor.wire.js';

type Conn = Resolved<TelenorConnectionConfig>;

interface TokenSpec {
  readonly resource: string;
  readonly write: boolean;
  readonly tags: Record<string, string>;
}

/** Tags rotor puts on every token it creates, so a sweep (`GET /tokens`) can tell its tokens from others. */
export function rotorTags(policyId: string, runId: string): Record<string, string> {
  return { 'managed-by': 'rotor', policy: policyId, run: runId };
}

/** The current token as Telenor knows it, or undefined when Telenor no longer has it (deleted by hand). */
async function currentToken(
  api: TelenorTokensApi,
  token: string,
  ctx: StepContext,
): Promise<WireToken | undefined> {
  try {
    return await api.get(token);
  } catch (error) {
    if (!isRotationError(error) || error.kind !== 'not-found') throw error;
    ctx.log.warn(
      { currentHandle: fingerprint(token) },
      'the current Telenor token no longer exists; the new one takes resource, write and tags from the policy',
    );
    return undefined;
  }
}

/** The new token's resource, write and tags: the target's, each absent field copied from the current token. */
async function specOf(
  api: TelenorTokensApi,
  input: IssueInput<Conn, TelenorTarget, TelenorCredential>,
  ctx: StepContext,
): Promise<TokenSpec> {
  const { target } = input;
  const current = input.current?.reveal();
  const complete = target.resource !== undefined && target.write !== undefined && target.tags !== undefined;
  const source = current && !complete ? await currentToken(api, current.token, ctx) : undefined;
  const resource = target.resource ?? source?.resource;
  const write = target.write ?? source?.write;
  if (resource === undefined || write === undefined) {
    const missing = [
      resource === undefined ? 'target.resource' : undefined,
      write === undefined ? 'target.write' : undefined,
    ]
      .filter((field) => field !== undefined)
      .join(' and ');
    throw new RotationError(
      'invalid-config',
      current === undefined
        ? `the first rotation has no current Telenor token to copy resource and write from: set ${missing} in the policy`
        : `the current Telenor token no longer exists, so there is nothing to copy resource and write from: set ${missing} in the policy`,
    );
  }
  const tags = Object.fromEntries(
    Object.entries(target.tags ?? source?.tags ?? {}).filter(([name]) => !ROTOR_TAG_NAMES.includes(name)),
  );
  return { resource, write, tags: { ...tags, ...rotorTags(ctx.policyId, ctx.runId) } };
}

/**
 * Creates the new token (`POST /tokens`) with the target's resource, write and tags, each copied from the
 * current token (`GET /tokens/{current}`) when the policy does not set it, tagged as rotor's. A first run
 * (no current token) needs resource and write in the policy. Tokens do not expire.
 */
export async function createToken(
  input: IssueInput<Conn, TelenorTarget, TelenorCredential>,
  ctx: StepContext,
): Promise<Issued<TelenorCredential>> {
  const api = new TelenorTokensApi(input.connection, ctx);
  const spec = await specOf(api, input, ctx);
  const made = await api.create(spec);
  const credential: TelenorCredential = {
    token: made.token,
    resource: made.resource,
    write: made.write,
    tags: made.tags ?? {},
  };
  return { credential: Secret.of(credential), handle: fingerprint(made.token) };
}

/** The new token against `GET /`: 200, or 403 for a restricted token, prove the API accepts it; 401 fails. */
export async function verifyToken(
  input: VerifyInput<Conn, TelenorTarget, TelenorCredential, never>,
  ctx: StepContext,
): Promise<VerifyOutcome> {
  const outcome = await new TelenorTokensApi(input.connection, ctx).ping(input.credential.reveal().token);
  if (outcome === 'refused') {
    throw new RotationError(
      'auth',
      'telenor check token failed with HTTP 401: the API does not accept the new token',
      {
        system: 'telenor',
        operation: 'check token',
        status: 401,
      },
    );
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

/** The tokens rotor made for this policy (tagged managed-by rotor, policy, run) that Telenor still holds. */
export async function listRotorTokens(
  input: PolicyInput<Conn, TelenorTarget>,
  ctx: StepContext,
): Promise<ListedCredential<TelenorCredential>[]> {
  const tokens = await new TelenorTokensApi(input.connection, ctx).list();
  return tokens.flatMap((token) => {
    const tags = token.tags ?? {};
    if (tags['managed-by'] !== 'rotor' || tags.policy !== ctx.policyId || tags.run === undefined) return [];
    const credential: TelenorCredential = {
      token: token.token,
      resource: token.resource,
      write: token.write,
      tags,
    };
    return [{ handle: fingerprint(token.token), runId: tags.run, credential: Secret.of(credential) }];
  });
}
