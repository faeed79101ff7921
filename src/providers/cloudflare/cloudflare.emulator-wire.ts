import type { EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import type { StoredToken } from './cloudflare.emulator-store.js';

export interface V4Error {
  readonly code: number;
  readonly message: string;
  readonly error_chain?: readonly { code: number; message: string }[];
}

export const ok = (result: unknown, status = 200, resultInfo?: unknown): EmulatorResponse => ({
  status,
  body: {
    success: true,
    errors: [],
    messages: [],
    result,
    ...(resultInfo === undefined ? {} : { result_info: resultInfo }),
  },
});

export const fail = (status: number, ...errors: V4Error[]): EmulatorResponse => ({
  status,
  body: { success: false, errors, messages: [], result: null },
});

export const notFound = () => fail(404, { code: 12135, message: 'access.api.error.not_found' });
export const invalid = (message: string) =>
  fail(400, { code: 12130, message: `access.api.error.invalid_request: ${message}` });

const iso = (ms: number) => new Date(ms).toISOString();

/** The token as GET and list return it: never the client secret. */
export function tokenView(token: StoredToken): Record<string, unknown> {
  return {
    id: token.id,
    name: token.name,
    client_id: token.clientId,
    duration: token.duration,
    enabled: token.enabled,
    client_secret_version: token.clientSecretVersion,
    created_at: iso(token.createdAt),
    updated_at: iso(token.updatedAt),
    ...(token.expiresAt === null ? {} : { expires_at: iso(token.expiresAt) }),
    ...(token.lastSeenAt === undefined ? {} : { last_seen_at: iso(token.lastSeenAt) }),
    ...(token.previousExpiresAt === undefined
      ? {}
      : { previous_client_secret_expires_at: iso(token.previousExpiresAt) }),
  };
}

/** Create, rotate and a version-bumping update are the only answers that carry the secret. */
export const tokenWithSecret = (token: StoredToken) => ({ ...tokenView(token), client_secret: token.secret });
