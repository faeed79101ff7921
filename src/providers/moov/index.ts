import { fingerprint } from '../../domain/ids.js';
import type { Provider } from '../provider.js';
import { basicToken } from './moov.api.js';
import {
  type MoovConnectionConfig,
  type MoovCredential,
  type MoovTarget,
  moovConnectionSchema,
  moovCredentialSchema,
  moovTargetSchema,
} from './moov.schemas.js';
import {
  issueWithClientCredentials,
  issueWithRefreshToken,
  preflightApiKey,
  revokeTokenPair,
  verifyAccessToken,
} from './moov.steps.js';

/** Moov OAuth2 access/refresh token pairs minted from an API key; both actions overlap old and new. */
export const moovProvider: Provider<MoovConnectionConfig, MoovTarget, MoovCredential> = {
  id: 'moov',
  displayName: 'Moov OAuth access tokens',
  schemas: {
    connection: moovConnectionSchema,
    target: moovTargetSchema,
    credential: moovCredentialSchema,
  },
  actions: {
    clientCredentials: {
      capability: 'overlap',
      readsCurrent: false,
      summary:
        'new access/refresh token pair from the API key; the displaced pair is revoked after the grace period',
      issue: issueWithClientCredentials,
    },
    refreshToken: {
      capability: 'overlap',
      readsCurrent: true,
      summary:
        'next token pair from the stored refresh token (client_credentials for the first); the displaced pair is revoked after the grace period',
      issue: issueWithRefreshToken,
    },
  },
  // Documented: 40 requests per second per account (test accounts: 10 — set the connection's rateLimit).
  rateLimit: { requests: 40, perMs: 1_000 },
  canList: false,
  handleOf: (credential) => fingerprint(credential.access_token),
  secretsOf: (credential) => [credential.access_token, credential.refresh_token],
  derivedSecrets: (connection) => [basicToken(connection)],
  expiresAt: (credential) => new Date(credential.expires_at),
  preflight: preflightApiKey,
  verify: verifyAccessToken,
  revoke: revokeTokenPair,
};
