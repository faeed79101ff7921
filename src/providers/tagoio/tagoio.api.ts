import { z } from 'zod';
import { RotationError } from '../../domain/errors.js';
import type { Resolved } from '../../domain/secret-reference.js';
import { encodePathSegment, type HttpClient, type HttpRequest } from '../../lib/http-client.js';
import type { StepContext } from '../provider.js';
import { TAGOIO_REGIONS, type TagoioConnectionConfig } from './tagoio.schemas.js';
import { TAGOIO, type UnwrapOptions, unwrap } from './tagoio.wire.js';

type Connection = Resolved<TagoioConnectionConfig>;

/** A list item with the fields rotor asks for (`fields[]`); TagoIO returns only those. */
export const listedTokenSchema = z.looseObject({
  token: z.string().min(1),
  name: z.string(),
  permission: z.string().optional(),
  /** ISO 8601, `never`, or null. */
  expire_time: z.string().nullable().optional(),
});
export type ListedToken = z.infer<typeof listedTokenSchema>;
const listedTokensSchema = z.array(listedTokenSchema);

const createdSchema = z.looseObject({ token: z.string().min(1), name: z.string() });
const LIST_FIELDS = ['name', 'token', 'permission', 'expire_time'] as const;
const PAGE_SIZE = 100;
const MAX_PAGES = 100;

/** The connection's base URL: `baseUrl`, or the SDKs' URL for its region. */
export function apiBaseUrl(connection: Connection): string {
  if (connection.baseUrl !== undefined) return connection.baseUrl;
  if (connection.region !== undefined) return TAGOIO_REGIONS[connection.region];
  // The connection schema requires one of them; reaching here means something bypassed it.
  throw new RotationError('invalid-config', 'the TagoIO connection has neither region nor baseUrl');
}

export interface CreateTokenInput {
  readonly name: string;
  readonly permission: string;
  /** ISO 8601 or `never`. */
  readonly expireTime: string;
  readonly verificationCode: string | undefined;
}

/**
 * TagoIO service-authorization tokens (`/serviceauth`), authenticated with the profile token in the `token`
 * header. A service-authorization token is its own id and sits in DELETE paths: no error, log line or
 * operation name this client builds carries one (the HTTP client reports system, operation and status only).
 */
export class TagoioServiceAuthApi {
  readonly #connection: Connection;
  readonly #ctx: StepContext;
  readonly #http: HttpClient;

  constructor(connection: Connection, ctx: StepContext) {
    this.#connection = connection;
    this.#ctx = ctx;
    this.#http = ctx.http(apiBaseUrl(connection), TAGOIO);
  }

  async #call<T>(
    request: Omit<HttpRequest, 'headers' | 'signal'>,
    schema: z.ZodType<T>,
    options: UnwrapOptions = {},
  ): Promise<T> {
    const response = await this.#http.send({
      ...request,
      headers: { token: this.#connection.token.reveal() },
      signal: this.#ctx.signal,
    });
    return unwrap(request.operation, response, schema, this.#ctx.clock.now(), options);
  }

  /**
   * Tokens whose name is `name` (every token of the profile when absent), newest first, all pages. A token
   * seen on two pages (one created while paging shifts the rest) is returned once.
   */
  async list(name?: string): Promise<ListedToken[]> {
    const tokens = new Map<string, ListedToken>();
    const fields = Object.fromEntries(LIST_FIELDS.map((field, index) => [`fields[${index}]`, field]));
    for (let page = 1; page <= MAX_PAGES; page++) {
      const batch = await this.#call(
        {
          method: 'GET',
          path: '/serviceauth',
          operation: 'list service authorizations',
          query: {
            page,
            amount: PAGE_SIZE,
            ...fields,
            orderBy: 'created_at,desc',
            ...(name === undefined ? {} : { 'filter[name]': name }),
          },
        },
        listedTokensSchema,
      );
      for (const token of batch) if (!tokens.has(token.token)) tokens.set(token.token, token);
      if (batch.length < PAGE_SIZE) return [...tokens.values()];
    }
    this.#ctx.log.warn(
      { system: TAGOIO, pages: MAX_PAGES, pageSize: PAGE_SIZE },
      'TagoIO lists more service authorizations than rotor reads; the oldest were not looked at',
    );
    return [...tokens.values()];
  }

  /** Creates a token; TagoIO answers with the token and its name (the only time rotor needs to see it). */
  create(input: CreateTokenInput): Promise<{ token: string; name: string }> {
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

  /** Deletes a token; false when TagoIO no longer knows it (404 in TagoIO's error envelope). */
  async delete(token: string): Promise<boolean> {
    try {
      await this.#call(
        {
          method: 'DELETE',
          path: `/serviceauth/${encodePathSegment(token)}`,
          operation: 'delete service authorization',
        },
        z.unknown(),
        { notFoundMeansGone: true },
      );
      return true;
    } catch (error) {
      if (error instanceof RotationError && error.kind === 'not-found') return false;
      throw error;
    }
  }
}
