import { RotationError } from '../../domain/errors.js';
import { Secret } from '../../domain/secret.js';
import type { Resolved } from '../../domain/secret-reference.js';
import type {
  Issued,
  IssueInput,
  PolicyInput,
  StepContext,
  VerifyInput,
  VerifyOutcome,
} from '../provider.js';
import { failureOf, type VendorWire } from '../vendor-wire.js';
import { CloudflareAccessApi, type ServiceToken } from './cloudflare.api.js';
import type {
  CloudflareConnectionConfig,
  CloudflareCredential,
  CloudflareTarget,
  CloudflareVerifySettings,
} from './cloudflare.schemas.js';
import { CLOUDFLARE } from './cloudflare.wire.js';

type Conn = Resolved<CloudflareConnectionConfig>;

/** The operator's application behind Access: its error bodies are its own, so only the status counts. */
const protectedEndpoint: VendorWire = { system: 'cloudflare-access', errorOf: () => undefined };
type Input = IssueInput<Conn, CloudflareTarget, CloudflareCredential>;

const ACCESS_LOGIN_PATH = '/cdn-cgi/access/login';

function credentialOf(token: ServiceToken, clientSecret: Secret<string>): Secret<CloudflareCredential> {
  return clientSecret.map((secret) => ({
    serviceTokenId: token.id,
    clientId: token.client_id,
    clientSecret: secret,
    expiresAt: token.expires_at ?? null,
  }));
}

function issued(token: ServiceToken, clientSecret: Secret<string>): Issued<CloudflareCredential> {
  return {
    credential: credentialOf(token, clientSecret),
    handle: token.id,
    ...(token.expires_at === undefined ? {} : { expiresAt: new Date(token.expires_at) }),
  };
}

/** The zone-level refresh endpoint is not documented, so refresh is offered for account connections only. */
export function zoneRefreshProblem(connection: Conn, _target: CloudflareTarget): string[] {
  return connection.zoneId === undefined
    ? []
    : [
        'refresh is only available for account-scoped connections (Cloudflare documents no zone-level refresh)',
      ];
}

/**
 * A new client secret; Cloudflare keeps accepting the old one until now + grace. Account scope uses the rotate
 * endpoint, zone scope bumps `client_secret_version`.
 */
export async function rotateServiceToken(
  input: Input,
  ctx: StepContext,
): Promise<Issued<CloudflareCredential>> {
  const api = new CloudflareAccessApi(input.connection, ctx);
  const graceEndsAt = new Date(ctx.clock.now() + input.gracePeriodMs);
  const id = input.target.serviceTokenId;
  if (input.connection.accountId !== undefined) {
    const rotated = await api.rotate(id, graceEndsAt);
    // The rotate answer may omit expires_at; the token's metadata has it.
    const token = rotated.token.expires_at === undefined ? await api.get(id) : rotated.token;
    return issued(token, rotated.clientSecret);
  }
  const before = await api.get(id);
  const bumped = await api.update(id, {
    name: before.name,
    clientSecretVersion: (before.client_secret_version ?? 1) + 1,
    previousSecretExpiresAt: graceEndsAt,
  });
  if (!bumped.clientSecret) {
    throw new RotationError(
      'protocol',
      `${CLOUDFLARE} update service token: the version bump returned no client_secret`,
      {
        system: CLOUDFLARE,
        operation: 'update service token',
      },
    );
  }
  return issued(bumped.token, bumped.clientSecret);
}

/** The same credential with a later expiry; needs the credential stored now, for its secret. */
export async function refreshServiceToken(
  input: Input,
  ctx: StepContext,
): Promise<Issued<CloudflareCredential>> {
  const current = input.current?.reveal();
  if (!current) throw new RotationError('invalid-config', 'refresh needs an existing secret to extend');
  if (current.serviceTokenId !== input.target.serviceTokenId) {
    throw new RotationError(
      'invalid-config',
      `the stored credential belongs to service token ${current.serviceTokenId}, not the target ${input.target.serviceTokenId}`,
    );
  }
  const token = await new CloudflareAccessApi(input.connection, ctx).refresh(input.target.serviceTokenId);
  if (token.client_id !== current.clientId) {
    throw new RotationError(
      'invalid-config',
      `service token ${token.id} now has another client id than the stored credential`,
    );
  }
  return issued(token, Secret.of(current.clientSecret));
}

/**
 * Proves the new pair: end to end against `verify.url` when configured (not 401/403, not sent to the Access
 * login), otherwise by the token's metadata (exists, enabled, same client id, not expired).
 */
export async function verifyServiceToken(
  input: VerifyInput<Conn, CloudflareTarget, CloudflareCredential, CloudflareVerifySettings>,
  ctx: StepContext,
): Promise<VerifyOutcome> {
  const credential = input.credential.reveal();
  if (input.settings) {
    const url = new URL(input.settings.url);
    const response = await ctx.http(url.origin, 'cloudflare-access').send({
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      operation: 'verify through Access',
      headers: {
        'cf-access-client-id': credential.clientId,
        'cf-access-client-secret': credential.clientSecret,
      },
      signal: ctx.signal,
    });
    const location = response.headers.location ?? '';
    const toLogin = response.status >= 300 && response.status < 400 && location.includes(ACCESS_LOGIN_PATH);
    if (response.status === 401 || response.status === 403 || toLogin) {
      throw new RotationError(
        'auth',
        `verify through Access refused the new service token pair (HTTP ${response.status}${toLogin ? ', login redirect' : ''})`,
        {
          system: 'cloudflare-access',
          operation: 'verify through Access',
          status: response.status,
        },
      );
    }
    if (response.status === 429 || response.status >= 500) {
      // The edge or the origin failed before saying whether Access admits the pair: try again later.
      throw failureOf(protectedEndpoint, 'verify through Access', response, ctx.clock.now());
    }
    return { kind: 'end-to-end' };
  }
  const token = await new CloudflareAccessApi(input.connection, ctx).get(input.target.serviceTokenId);
  const problem =
    token.client_id !== credential.clientId
      ? 'its client id differs from the new credential'
      : token.enabled === false
        ? 'it is disabled'
        : token.expires_at !== undefined && Date.parse(token.expires_at) <= ctx.clock.now()
          ? 'it has expired'
          : undefined;
  if (problem)
    throw new RotationError('auth', `service token ${token.id} cannot be used: ${problem}`, {
      system: CLOUDFLARE,
    });
  return { kind: 'metadata', reason: 'no verify.url configured' };
}

/** Reads the target token: proves the admin credential, the scope and the target. */
export async function preflightServiceToken(
  input: PolicyInput<Conn, CloudflareTarget>,
  ctx: StepContext,
): Promise<void> {
  await new CloudflareAccessApi(input.connection, ctx).get(input.target.serviceTokenId);
}
