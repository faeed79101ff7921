import type { Provider } from '../provider.js';
import {
  type CloudflareConnectionConfig,
  type CloudflareCredential,
  type CloudflareTarget,
  type CloudflareVerifySettings,
  cloudflareConnectionSchema,
  cloudflareCredentialSchema,
  cloudflareTargetSchema,
  cloudflareVerifySchema,
} from './cloudflare.schemas.js';
import {
  preflightServiceToken,
  refreshServiceToken,
  rotateServiceToken,
  verifyServiceToken,
  zoneRefreshProblem,
} from './cloudflare.steps.js';

export const cloudflareProvider: Provider<
  CloudflareConnectionConfig,
  CloudflareTarget,
  CloudflareCredential,
  CloudflareVerifySettings
> = {
  id: 'cloudflare',
  displayName: 'Cloudflare Access service tokens',
  schemas: {
    connection: cloudflareConnectionSchema,
    target: cloudflareTargetSchema,
    credential: cloudflareCredentialSchema,
    verify: cloudflareVerifySchema,
  },
  actions: {
    rotate: {
      capability: 'native-grace',
      readsCurrent: false,
      summary: 'new client secret; Cloudflare keeps accepting the old one until the grace period ends',
      issue: rotateServiceToken,
    },
    refresh: {
      capability: 'extend',
      readsCurrent: true,
      summary: 'same client secret, expiry extended by the token duration',
      check: zoneRefreshProblem,
      issue: refreshServiceToken,
    },
  },
  // Documented: 1,200 requests per 5 minutes per API token; beyond it Cloudflare blocks the token for 5 minutes.
  rateLimit: { requests: 1_200, perMs: 5 * 60_000 },
  // rotate and refresh change one token in place: rotor never makes a second one, so there is nothing to sweep.
  canList: false,
  handleOf: (credential) => credential.serviceTokenId,
  secretsOf: (credential) => [credential.clientSecret],
  expiresAt: (credential) => (credential.expiresAt === null ? undefined : new Date(credential.expiresAt)),
  preflight: preflightServiceToken,
  verify: verifyServiceToken,
};
