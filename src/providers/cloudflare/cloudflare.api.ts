import { z } from 'zod';
import { Secret } from '../../domain/secret.js';
import type { Resolved } from '../../domain/secret-reference.js';
import { encodePathSegment, type HttpClient, type HttpRequest } from '../../lib/http-client.js';
import type { StepContext } from '../provider.js';
import type { CloudflareConnectionConfig } from './cloudflare.schemas.js';
import { CLOUDFLARE, unwrap } from './cloudflare.wire.js';

type Connection = Resolved<CloudflareConnectionConfig>;

const PAGE_SIZE = 100;
const MAX_PAGES = 1000;

const serviceTokenSchema = z.looseObject({
  id: z.string().min(1),
  client_id: z.string().min(1),
  name: z.string(),
  duration: z.string().optional(),
  expires_at: z.string().optional(),
  enabled: z.boolean().optional(),
  client_secret_version: z.number().optional(),
  previous_client_secret_expires_at: z.string().optional(),
});
export type ServiceToken = z.infer<typeof serviceTokenSchema>;

const issuedTokenSchema = serviceTokenSchema.extend({ client_secret: z.string().min(1) });
const resultInfoSchema = z.looseObject({ total_pages: z.number().optional() });

/** A token as returned with its secret (create, rotate, version bump): the secret is wrapped at once. */
export interface IssuedServiceToken {
  readonly token: ServiceToken;
  readonly clientSecret: Secret<string>;
}

export interface TokenChanges {
  readonly name?: string;
  readonly duration?: string;
  readonly enabled?: boolean;
  readonly clientSecretVersion?: number;
  readonly previousSecretExpiresAt?: Date;
}

function authHeaders(connection: Connection): Record<string, string> {
  if (connection.apiToken !== undefined) return { authorization: `Bearer ${connection.apiToken.reveal()}` };
  if (connection.email !== undefined && connection.apiKey !== undefined) {
    return { 'x-auth-email': connection.email, 'x-auth-key': connection.apiKey.reveal() };
  }
  // The connection schema guarantees one scheme; reaching here means the config layer let something through.
  throw new Error('cloudflare connection without credentials');
}

function scopePath(connection: Connection): string {
  return connection.accountId !== undefined
    ? `/accounts/${encodePathSegment(connection.accountId)}`
    : `/zones/${encodePathSegment(connection.zoneId ?? '')}`;
}

/** Cloudflare Access service tokens through the v4 API, at the connection's account or zone scope. */
export class CloudflareAccessApi {
  readonly #connection: Connection;
  readonly #ctx: StepContext;
  readonly #http: HttpClient;

  constructor(connection: Connection, ctx: StepContext) {
    this.#connection = connection;
    this.#ctx = ctx;
    this.#http = ctx.http(connection.baseUrl, CLOUDFLARE);
  }

  async #call<T>(
    request: Omit<HttpRequest, 'headers' | 'signal'>,
    schema: z.ZodType<T>,
  ): Promise<{ result: T; resultInfo: unknown }> {
    const response = await this.#http.send({
      ...request,
      headers: authHeaders(this.#connection),
      signal: this.#ctx.signal,
    });
    return unwrap(request.operation, response, schema, this.#ctx.clock.now());
  }

  #tokens(id?: string): string {
    const base = `${scopePath(this.#connection)}/access/service_tokens`;
    return id === undefined ? base : `${base}/${encodePathSegment(id)}`;
  }

  async get(id: string): Promise<ServiceToken> {
    return (
      await this.#call(
        { method: 'GET', path: this.#tokens(id), operation: 'get service token' },
        serviceTokenSchema,
      )
    ).result;
  }

  /** Every token, following pages until an empty or last page. */
  async list(filter: { name?: string; search?: string } = {}): Promise<ServiceToken[]> {
    const tokens: ServiceToken[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { result, resultInfo } = await this.#call(
        {
          method: 'GET',
          path: this.#tokens(),
          operation: 'list service tokens',
          query: { ...filter, page, per_page: PAGE_SIZE },
        },
        z.array(serviceTokenSchema),
      );
      tokens.push(...result);
      const totalPages = resultInfoSchema.safeParse(resultInfo).data?.total_pages;
      if (result.length === 0 || (totalPages !== undefined && page >= totalPages)) return tokens;
    }
    return tokens;
  }

  async create(input: { name: string; duration?: string }): Promise<IssuedServiceToken> {
    const { result } = await this.#call(
      { method: 'POST', path: this.#tokens(), operation: 'create service token', json: input },
      issuedTokenSchema,
    );
    return issued(result);
  }

  /** Returns the new secret when the change bumped `client_secret_version`. */
  async update(
    id: string,
    changes: TokenChanges,
  ): Promise<{ token: ServiceToken; clientSecret: Secret<string> | undefined }> {
    const body = {
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.duration === undefined ? {} : { duration: changes.duration }),
      ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
      ...(changes.clientSecretVersion === undefined
        ? {}
        : { client_secret_version: changes.clientSecretVersion }),
      ...(changes.previousSecretExpiresAt === undefined
        ? {}
        : { previous_client_secret_expires_at: changes.previousSecretExpiresAt.toISOString() }),
    };
    const { result } = await this.#call(
      { method: 'PUT', path: this.#tokens(id), operation: 'update service token', json: body },
      serviceTokenSchema.extend({ client_secret: z.string().min(1).optional() }),
    );
    const { client_secret: secret, ...token } = result;
    return { token, clientSecret: secret === undefined ? undefined : Secret.of(secret) };
  }

  async delete(id: string): Promise<void> {
    await this.#call(
      { method: 'DELETE', path: this.#tokens(id), operation: 'delete service token' },
      z.unknown(),
    );
  }

  /** Account scope only: a new expiry, same secret. */
  async refresh(id: string): Promise<ServiceToken> {
    const path = `${this.#tokens(id)}/refresh`;
    return (
      await this.#call({ method: 'POST', path, operation: 'refresh service token' }, serviceTokenSchema)
    ).result;
  }

  /** Account scope only: a new secret; the old one stays valid until `previousSecretExpiresAt`. */
  async rotate(id: string, previousSecretExpiresAt: Date): Promise<IssuedServiceToken> {
    const { result } = await this.#call(
      {
        method: 'POST',
        path: `${this.#tokens(id)}/rotate`,
        operation: 'rotate service token',
        json: { previous_client_secret_expires_at: previousSecretExpiresAt.toISOString() },
      },
      issuedTokenSchema,
    );
    return issued(result);
  }
}

function issued(result: z.infer<typeof issuedTokenSchema>): IssuedServiceToken {
  const { client_secret: secret, ...token } = result;
  return { token, clientSecret: Secret.of(secret) };
}
