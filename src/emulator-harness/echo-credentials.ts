import type { EmulatorRequest } from './emulator-http.js';
import { isJsonObject, jsonBodyValue } from './json-body.js';

/** Headers vendors authenticate with (the value after an `Authorization` scheme is taken too). */
const CREDENTIAL_HEADERS = [
  'authorization',
  'x-auth-key',
  'token',
  'x-api-token',
  'cookie',
  'cf-access-client-secret',
];
const SECRET_MEMBER = /token|secret|password/i;
/** A path segment this long may be a credential that is its own id (`DELETE /tokens/{token}`). */
const LONG_SEGMENT = 16;
const PIECE = 20;

function jsonMembers(request: EmulatorRequest): string[] {
  const parsed = jsonBodyValue(request);
  if (!isJsonObject(parsed)) return [];
  return Object.entries(parsed).flatMap(([key, value]) =>
    SECRET_MEMBER.test(key) && typeof value === 'string' ? [value] : [],
  );
}

export type CredentialPlace = 'headers' | 'body' | 'path';

/**
 * What a careless vendor would quote back, from the places asked for, in that order: credential headers,
 * secret-looking JSON body members, long path segments (a token that is its own id).
 */
export function requestCredentials(request: EmulatorRequest, from: readonly CredentialPlace[]): string[] {
  const places: Record<CredentialPlace, () => string[]> = {
    headers: () =>
      CREDENTIAL_HEADERS.flatMap((name) => {
        const value = request.headers[name];
        if (value === undefined) return [];
        const scheme = /^(Bearer|Basic|Token)\s+(.+)$/i.exec(value);
        return scheme?.[2] === undefined ? [value] : [scheme[2]];
      }),
    body: () => jsonMembers(request),
    path: () =>
      request.path
        .split('/')
        .map((segment) => decodeURIComponent(segment))
        .filter((segment) => segment.length >= LONG_SEGMENT),
  };
  return [...new Set(from.flatMap((place) => places[place]()))];
}

/**
 * One credential in every shape a vendor's error text has been seen to carry it: with a space inside, in
 * 20-character pieces, URL-encoded, base64 and raw — the forms a pattern-based scrubber misses first.
 */
export function echoForms(credential: string): string {
  const pieces: string[] = [];
  for (let i = 0; i < credential.length; i += PIECE) pieces.push(credential.slice(i, i + PIECE));
  const cut = Math.min(8, credential.length);
  return [
    `${credential.slice(0, cut)} ${credential.slice(cut)}`,
    pieces.join(' / '),
    encodeURIComponent(credential),
    Buffer.from(credential, 'utf8').toString('base64'),
    credential,
  ].join(' | ');
}

/** The error text of the `echo-credentials` fault: the request's credentials, quoted back in every form. */
export function echoedCredentials(request: EmulatorRequest, from: readonly CredentialPlace[]): string {
  const credentials = requestCredentials(request, from);
  return credentials.length === 0
    ? `${request.method} refused: no credentials received`
    : `${request.method} refused the credentials received: ${credentials.map(echoForms).join(' ; ')}`;
}
