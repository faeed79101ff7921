import { z } from 'zod';
import type { Resolved } from '../../domain/secret-reference.js';
import {
  encodePathSegment,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
} from '../../lib/http-client.js';
import type { StepContext } from '../provider.js';
import type { TelenorConnectionConfig } from './telenor.schemas.js';
import { failureOf, readBody, TELENOR, tokenSchema, type WireToken } from './telenor.wire.js';

type Connection = Resolved<TelenorConnectionConfig>;

/** Credentials for /tokens: the CONNECT ID session when configured, else the API token. */
function adminHeaders(connection: Connection): Record<string, string> {
  if (connection.session !== undefined) return { cookie: connection.session.reveal() };
  if (connection.apiToken !== undefined) return { 'x-api-token': connection.apiToken.reveal() };
  throw new Error('telenor connection without credentials');
}

/**
 * Telenor NB-IoT (Horde) API tokens. A token is its own id and appears in paths, so operation names (which
 * reach logs and errors) never carry it.
 */
export class TelenorTokensApi {
  readonly #connection: Connection;
  readonly #ctx: StepContext;
  readonly #http: HttpClient;

  constructor(connection: Connection, ctx: StepContext) {
    this.#connection = connection;
    this.#ctx = ctx;
    this.#http = ctx.http(connection.baseUrl, TELENOR);
  }

  #send(request: Omit<HttpRequest, 'signal'>): Promise<HttpResponse> {
    return this.#http.send({ ...request, signal: this.#ctx.signal });
  }

  async #tokens<T>(request: Omit<HttpRequest, 'signal' | 'headers'>, schema: z.ZodType<T>): Promise<T> {
    const response = await this.#send({ ...request, headers: adminHeaders(this.#connection) });
    return readBody(request.operation, response, schema, this.#ctx.clock.now(), true);
  }

  list(): Promise<WireToken[]> {
    return this.#tokens(
      { method: 'GET', path: '/tokens', operation: 'list tokens' },
      z.looseObject({ tokens: z.array(tokenSchema) }),
    ).then((body) => body.tokens);
  }

  get(token: string): Promise<WireToken> {
    return this.#tokens(
      { method: 'GET', path: `/tokens/${encodePathSegment(token)}`, operation: 'get token' },
      tokenSchema,
    );
  }

  create(input: { resource: string; write: boolean; tags: Record<string, string> }): Promise<WireToken> {
    return this.#tokens(
      { method: 'POST', path: '/tokens', operation: 'create token', json: input },
      tokenSchema,
    );
  }

  /** Deletes a token; false when the API no longer knows it. */
  async delete(token: string): Promise<boolean> {
    const operation = 'delete token';
    const response = await this.#send({
      method: 'DELETE',
      path: `/tokens/${encodePathSegment(token)}`,
      operation,
      headers: adminHeaders(this.#connection),
    });
    if (response.status === 404) return false;
    if (response.status < 200 || response.status >= 300) {
      throw failureOf(operation, response, this.#ctx.clock.now(), true);
    }
    return true;
  }

  /** `GET /` with a token: the API's own connectivity check. 200, or 403 for a restricted token, accept it. */
  async ping(token: string): Promise<'accepted' | 'refused'> {
    const operation = 'check token';
    const response = await this.#send({
      method: 'GET',
      path: '/',
      operation,
      headers: { 'x-api-token': token },
    });
    if (response.status === 200 || response.status === 403) return 'accepted';
    if (response.status === 401) return 'refused';
    throw failureOf(operation, response, this.#ctx.clock.now(), false);
  }
}
