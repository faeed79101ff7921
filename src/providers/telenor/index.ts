import { fingerprint } from '../../domain/ids.js';
import type { Provider } from '../provider.js';
import {
  type TelenorConnectionConfig,
  type TelenorCredential,
  type TelenorTarget,
  telenorConnectionSchema,
  telenorCredentialSchema,
  telenorTargetSchema,
} from './telenor.schemas.js';
import { createToken, deleteToken, listRotorTokens, preflightTokens, verifyToken } from './telenor.steps.js';

export const telenorProvider: Provider<TelenorConnectionConfig, TelenorTarget, TelenorCredential> = {
  id: 'telenor',
  displayName: 'Telenor NB-IoT (Horde) API tokens',
  schemas: {
    connection: telenorConnectionSchema,
    target: telenorTargetSchema,
    credential: telenorCredentialSchema,
  },
  actions: {
    rotate: {
      capability: 'overlap',
      readsCurrent: true,
      summary:
        'new API token with the same resource, write and tags; the old one is deleted after the grace period',
      issue: createToken,
    },
  },
  canList: true,
  listIssued: listRotorTokens,
  handleOf: (credential) => fingerprint(credential.token),
  secretsOf: (credential) => [credential.token],
  expiresAt: () => undefined,
  preflight: preflightTokens,
  verify: verifyToken,
  revoke: deleteToken,
};
