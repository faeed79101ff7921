import type { Resolved } from '../../domain/secret-reference.js';
import type { HttpClient, HttpRequest } from '../../lib/http-client.js';
import type { StepContext } from '../provider.js';
import type { MoovConnectionConfig } from './moov.schemas.js';
import { type AuthToken, failureOf, MOOV, readToken } from './moov.wire.js';

type Connection = Resolved<MoovConnectionConfig>;

/** Moov's OAuth2 endpoints with the API key as HTTP Basic, and its ping. */
export class MoovAuthApi {
  readonly #connection: Connection;
  readonly #ctx: StepContext;
  readonly #http: HttpClient;

  constructor(connection: Connection, ctx: StepContext) {
    this.#connection = connection;
    this.#ctx = ctx;
    this.#http = ctx.http(connection.baseUrl, MOOV);
  }

  #basic(): Record<string, string> {
    const pair = `${this.#connection.publicKey.reveal()}:${this.#connection.secretKey.reveal()}`;
    return {
      authorization: `Basic ${Buffer.from(pair).toString('base64')}`,
      'x-moov-version': this.#connection.moovVersion,
      ...(this.#connection.origin === undefined ? {} : { origin: this.#connection.origin }),
    };
  }

  #send(request: Omit<HttpRequest, 'signal'>) {
    return this.#http.send({ ...request, signal: this.#ctx.signal });
  }

  async clientCredentials(scope: string): Promise<AuthToken> {
    const operation = 'create access token';
    const response = await this.#send({
      method: 'POST',
      path: '/oauth2/token',
      operation,
      headers: this.#basic(),
      json: { grant_type: 'client_credentials', scope },
    });
    return readToken(operation, response, this.#ctx.clock.now());
  }

  async refresh(refreshToken: string): Promise<AuthToken> {
    const operation = 'refresh access token';
    const response = await this.#send({
      method: 'POST',
      path: '/oauth2/token',
      operation,
      headers: this.#basic(),
      json: { grant_type: 'refresh_token', refresh_token: refreshToken },
    });
    return readToken(operation, response, this.#ctx.clock.now());
  }

  /** RFC 7009 revocation: Moov answers 204 whether or not it still knew the token. */
  async revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<void> {
    const operation = `revoke ${hint.replace('_', ' ')}`;
    const response = await this.#send({
      method: 'POST',
      path: '/oauth2/revoke',
      operation,
      headers: this.#basic(),
      json: { token, token_type_hint: hint },
    });
    if (response.status < 200 || response.status >= 300)
      throw failureOf(operation, response, this.#ctx.clock.now());
  }

  /** GET /ping with an access token (or, without one, the API key): 2xx means the credential works. */
  async ping(accessToken?: string): Promise<void> {
    const operation = accessToken === undefined ? 'ping with the API key' : 'ping with the new access token';
    const headers =
      accessToken === undefined
        ? this.#basic()
        : { authorization: `Bearer ${accessToken}`, 'x-moov-version': this.#connection.moovVersion };
    const response = await this.#send({ method: 'GET', path: '/ping', operation, headers });
    if (response.status < 200 || response.status >= 300)
      throw failureOf(operation, response, this.#ctx.clock.now());
  }
}
