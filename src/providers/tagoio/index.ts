import { fingerprint } from '../../domain/ids.js';
import type { Provider } from '../provider.js';
import {
  type TagoioConnectionConfig,
  type TagoioCredential,
  type TagoioTarget,
  tagoioConnectionSchema,
  tagoioCredentialSchema,
  tagoioTargetSchema,
} from './tagoio.schemas.js';
import {
  createServiceToken,
  deleteServiceToken,
  listRotorServiceTokens,
  preflightServiceAuth,
  verifyServiceToken,
} from './tagoio.steps.js';

export const tagoioProvider: Provider<TagoioConnectionConfig, TagoioTarget, TagoioCredential> = {
  id: 'tagoio',
  displayName: 'TagoIO service-authorization tokens',
  schemas: {
    connection: tagoioConnectionSchema,
    target: tagoioTargetSchema,
    credential: tagoioCredentialSchema,
  },
  actions: {
    rotate: {
      capability: 'overlap',
      readsCurrent: true,
      summary: 'new service-authorization token; the old one is deleted after the grace period',
      issue: createServiceToken,
    },
  },
  canList: true,
  listIssued: listRotorServiceTokens,
  handleOf: (credential) => fingerprint(credential.token),
  secretsOf: (credential) => [credential.token],
  expiresAt: (credential) => (credential.expireTime === null ? undefined : new Date(credential.expireTime)),
  preflight: preflightServiceAuth,
  verify: verifyServiceToken,
  revoke: deleteServiceToken,
};
