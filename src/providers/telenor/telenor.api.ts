import { z } from 'zod';
import { protocolFailure } from '../../domain/classify-http.js';
import type { Resolved } from '../../domain/secret-reference.js';
import {
  encodePathSegment,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
} from '../../lib/http-client.js';
import type { StepContext } from '../provider.js';
import { isSuccess } from '../vendor-wire.js';
import type { TelenorConnectionConfig } from './telenor.schemas.js';
import {
  type AdminCredential,
  readTelenorBody,
  TELENOR,
  telenorFailure,
  tokenSchema,
  type WireToken,
} from './telenor.wire.js';

type Connection = Resolved<TelenorConnectionConfig>;

/**
 * The credential for `/tokens`: the CONNECT ID session (Cookie header) when configured, which takes
 * precedence over the API token (X-API-Token) — the documented API accepts only the session there.
 */
function adminCredential(connection: Connection): { via: AdminCredential; headers: Record<string, string> } {
  if (connection.session !== undefined) {
    return { via: 'session', headers: { cookie: connection.session.reveal() } };
  }
  if (connection.apiToken !== undefined) {
    return { via: 'apiToken', headers: { 'x-api-token': connection.apiToken.reveal() } };
  }
  // The connection schema requires one of the two; reaching here means the config layer let something through.
  throw new Error('telenor connection without credentials');
}

const tokenListSchema = z.looseObject({ tokens: z.array(tokenSchema) });

/**
 * Telenor NB-IoT (Horde) API tokens. A token is its own id and appears in paths (`/tokens/{token}`), so the
 * operation names, which reach logs, metrics and errors, never carry it, and errors are built from status
 * and sanitised vendor text only.
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

  async #admin<T>(request: Omit<HttpRequest, 'signal' | 'headers'>, schema: z.ZodType<T>): Promise<T> {
    const { via, headers } = adminCredential(this.#connection);
    const response = await this.#send({ ...request, headers });
    return readTelenorBody(request.operation, response, schema, this.#ctx.clock.now(), via);
  }

  /** Every token of the team, with their values (the API lists them in full). */
  async list(): Promise<WireToken[]> {
    const body = await this.#admin(
      { method: 'GET', path: '/tokens', operation: 'list tokens' },
      tokenListSchema,
    );
    return body.tokens;
  }

  /** One token; an unknown token fails as `not-found`. */
  get(token: string): Promise<WireToken> {
    return this.#admin(
      { method: 'GET', path: `/tokens/${encodePathSegment(token)}`, operation: 'get token' },
      tokenSchema,
    );
  }

  create(input: { resource: string; write: boolean; tags: Record<string, string> }): Promise<WireToken> {
    return this.#admin(
      { method: 'POST', path: '/tokens', operation: 'create token', json: input },
      tokenSchema,
    );
  }

  /** Deletes a token (204); false when the API no longer knows it (404). */
  async delete(token: string): Promise<boolean> {
    const operation = 'delete token';
    const { via, headers } = adminCredential(this.#connection);
    const response = await this.#send({
      method: 'DELETE',
      path: `/tokens/${encodePathSegment(token)}`,
      operation,
      headers,
    });
    if (response.status === 404) return false;
    if (!isSuccess(response)) {
      throw telenorFailure(operation, response, this.#ctx.clock.now(), via);
    }
    return true;
  }

  /**
   * `GET /` with the token as X-API-Token, the API's own connectivity check: 200, or 403 for a token with
   * restricted access, mean the API accepts the token; 401 means it does not.
   */
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
    if (response.status === 404) {
      // The API root always exists: a 404 means baseUrl points somewhere else.
      throw protocolFailure(
        TELENOR,
        operation,
        'GET / answered 404; does baseUrl point at the Telenor NB-IoT API?',
        404,
      );
    }
    throw telenorFailure(operation, response, this.#ctx.clock.now(), undefined);
  }
}
