import type { Resolved } from '../../domain/secret-reference.js';
import type { HttpClient, HttpRequest } from '../../lib/http-client.js';
import type { StepContext } from '../provider.js';
import { isSuccess } from '../vendor-wire.js';
import type { MoovConnectionConfig } from './moov.schemas.js';
import { type AuthToken, MOOV, moovFailure, readToken } from './moov.wire.js';

type Connection = Resolved<MoovConnectionConfig>;

export type TokenTypeHint = 'access_token' | 'refresh_token';

/** The API key as HTTP Basic credentials: base64 of `publicKey:secretKey` (a secret of its own in every header). */
export function basicToken(connection: Connection): string {
  const pair = `${connection.publicKey.reveal()}:${connection.secretKey.reveal()}`;
  return Buffer.from(pair, 'utf8').toString('base64');
}

/**
 * Moov's OAuth2 endpoints with the API key as HTTP Basic (`/oauth2/token`, `/oauth2/revoke`), and
 * `GET /ping` with the API key or an access token. Bodies are JSON, as the current SDKs send them.
 */
export class MoovAuthApi {
  readonly #connection: Connection;
  readonly #ctx: StepContext;
  readonly #http: HttpClient;

  constructor(connection: Connection, ctx: StepContext) {
    this.#connection = connection;
    this.#ctx = ctx;
    this.#http = ctx.http(connection.baseUrl, MOOV);
  }

  /** X-Moov-Version on every call; Origin too when configured (keys with a domain list need it). */
  #headers(authorization: string): Record<string, string> {
    return {
      authorization,
      'x-moov-version': this.#connection.moovVersion,
      ...(this.#connection.origin === undefined ? {} : { origin: this.#connection.origin }),
    };
  }

  #basic(): Record<string, string> {
    return this.#headers(`Basic ${basicToken(this.#connection)}`);
  }

  #send(request: Omit<HttpRequest, 'signal'>) {
    return this.#http.send({ ...request, signal: this.#ctx.signal });
  }

  async #token(operation: string, body: Record<string, string>): Promise<AuthToken> {
    const response = await this.#send({
      method: 'POST',
      path: '/oauth2/token',
      operation,
      headers: this.#basic(),
      json: body,
    });
    return readToken(operation, response, this.#ctx.clock.now());
  }

  /** A new token pair with these space-separated scopes. */
  clientCredentials(scope: string): Promise<AuthToken> {
    return this.#token('create access token', { grant_type: 'client_credentials', scope });
  }

  /** The next pair from a refresh token (Moov keeps the scope of the grant). */
  refresh(refreshToken: string): Promise<AuthToken> {
    return this.#token('refresh access token', { grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  /** RFC 7009 revocation: Moov answers 204 whether or not it still knew the token. */
  async revoke(token: string, hint: TokenTypeHint): Promise<void> {
    const operation = hint === 'access_token' ? 'revoke access token' : 'revoke refresh token';
    const response = await this.#send({
      method: 'POST',
      path: '/oauth2/revoke',
      operation,
      headers: this.#basic(),
      json: { token, token_type_hint: hint },
    });
    if (!isSuccess(response)) throw moovFailure(operation, response, this.#ctx.clock.now());
  }

  /** GET /ping with an access token (or, without one, the API key): resolves when Moov accepts it. */
  async ping(accessToken?: string): Promise<void> {
    const operation = accessToken === undefined ? 'ping with the API key' : 'ping with an access token';
    const headers = accessToken === undefined ? this.#basic() : this.#headers(`Bearer ${accessToken}`);
    const response = await this.#send({ method: 'GET', path: '/ping', operation, headers });
    if (!isSuccess(response)) throw moovFailure(operation, response, this.#ctx.clock.now());
  }
}
