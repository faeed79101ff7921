import { z } from 'zod';
import type { Resolved } from '../../domain/secret-reference.js';
import { encodePathSegment, type HttpClient, type HttpRequest } from '../../lib/http-client.js';
import type { StepContext } from '../provider.js';
import { TAGOIO, unwrap } from './tagoio.envelope.js';
import { TAGOIO_REGIONS, type TagoioConnectionConfig } from './tagoio.schemas.js';

type Connection = Resolved<TagoioConnectionConfig>;

export const listedTokenSchema = z.looseObject({
  token: z.string().min(1),
  name: z.string(),
  permission: z.string().optional(),
  expire_time: z.string().nullable().optional(),
});
export type ListedToken = z.infer<typeof listedTokenSchema>;

const createdSchema = z.looseObject({ token: z.string().min(1), name: z.string() });
const PAGE_SIZE = 100;
const MAX_PAGES = 100;

export function apiBaseUrl(connection: Connection): string {
  return connection.baseUrl ?? TAGOIO_REGIONS[connection.region ?? 'us-e1'];
}

/** TagoIO service-authorization tokens. A token is its own id and sits in paths: operations never carry it. */
export class TagoioServiceAuthApi {
  readonly #connection: Connection;
  readonly #ctx: StepContext;
  readonly #http: HttpClient;

  constructor(connection: Connection, ctx: StepContext) {
    this.#connection = connection;
    this.#ctx = ctx;
    this.#http = ctx.http(apiBaseUrl(connection), TAGOIO);
  }

  async #call<T>(request: Omit<HttpRequest, 'headers' | 'signal'>, schema: z.ZodType<T>): Promise<T> {
    const response = await this.#http.send({
      ...request,
      headers: { token: this.#connection.token.reveal() },
      signal: this.#ctx.signal,
    });
    return unwrap(request.operation, response, schema, this.#ctx.clock.now());
  }

  /** Tokens whose name matches `name` (all tokens when absent), every page. */
  async list(name?: string): Promise<ListedToken[]> {
    const tokens: ListedToken[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const batch = await this.#call(
        {
          method: 'GET',
          path: '/serviceauth',
          operation: 'list service authorizations',
          query: {
            page,
            amount: PAGE_SIZE,
            'fields[0]': 'name',
            'fields[1]': 'token',
            'fields[2]': 'permission',
            'fields[3]': 'expire_time',
            orderBy: 'created_at,desc',
            ...(name === undefined ? {} : { 'filter[name]': name }),
          },
        },
        z.array(listedTokenSchema),
      );
      tokens.push(...batch);
      if (batch.length < PAGE_SIZE) break;
    }
    return tokens;
  }

  create(input: {
    name: string;
    permission: string;
    expireTime: string;
    verificationCode: string | undefined;
  }): Promise<{ token: string; name: string }> {
    return this.#call(
      {
        method: 'POST',
        path: '/serviceauth',
        operation: 'create service authorization',
        json: {
          name: input.name,
          permission: input.permission,
          expire_time: input.expireTime,
          ...(input.verificationCode === undefined ? {} : { verification_code: input.verificationCode }),
        },
      },
      createdSchema,
    );
  }

  /** Deletes a token; false when TagoIO no longer knows it. */
  async delete(token: string): Promise<boolean> {
    try {
      await this.#call(
        {
          method: 'DELETE',
          path: `/serviceauth/${encodePathSegment(token)}`,
          operation: 'delete service authorization',
        },
        z.unknown(),
      );
      return true;
    } catch (error) {
      if ((error as { kind?: unknown }).kind === 'not-found') return false;
      throw error;
    }
  }
}
