import { Agent, type Dispatcher, request } from 'undici';
import { networkFailure } from '../domain/classify-http.js';
import { withDeadline } from './deadline.js';
import { errorCode } from './error-code.js';

export type QueryValue = string | number | boolean | undefined;

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path relative to the client's base URL, with segments already encoded (see `encodePathSegment`). */
  readonly path: string;
  /** Names the call in errors and logs, e.g. `rotate service token`. */
  readonly operation: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON. */
  readonly json?: unknown;
  /** Sent as-is (caller sets content-type). */
  readonly body?: string;
  readonly signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly text: string;
}

export interface HttpClient {
  /** Resolves for every HTTP status; rejects only with a classified RotationError when no response came. */
  send(request: HttpRequest): Promise<HttpResponse>;
}

export type HttpClientFactory = (baseUrl: string, system: string) => HttpClient;

export interface HttpClientOptions {
  /** Overall deadline for one request, response body included. */
  readonly timeoutMs: number;
  readonly dispatcher?: Dispatcher;
  /** Told of every call (for metrics); `status` is undefined when no response came. */
  readonly onCall?: (call: { system: string; operation: string; status: number | undefined }) => void;
}

export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment);
}

function buildUrl(baseUrl: string, path: string, query: HttpRequest['query']): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * A small JSON-over-HTTP client on undici. It retries nothing (rotor's scheduler owns retries) and never
 * puts request or response objects into errors: a failure without a response becomes a `transient`
 * RotationError carrying only the system, the operation and the error code.
 */
export function createHttpClientFactory(options: HttpClientOptions): HttpClientFactory {
  const dispatcher =
    options.dispatcher ?? new Agent({ keepAliveTimeout: 4_000, connect: { timeout: 10_000 } });
  return (baseUrl, system) => ({
    send: (req) =>
      withDeadline(
        options.timeoutMs,
        async (signal) => {
          const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
          let body: string | undefined = req.body;
          if (req.json !== undefined) {
            body = JSON.stringify(req.json);
            headers['content-type'] = 'application/json';
          }
          try {
            const response = await request(buildUrl(baseUrl, req.path, req.query), {
              method: req.method,
              headers,
              body: body ?? null,
              signal,
              dispatcher,
            });
            const text = await response.body.text();
            options.onCall?.({ system, operation: req.operation, status: response.statusCode });
            return { status: response.statusCode, headers: flattenHeaders(response.headers), text };
          } catch (error) {
            options.onCall?.({ system, operation: req.operation, status: undefined });
            throw networkFailure(system, req.operation, errorCode(error));
          }
        },
        req.signal,
      ),
  });
}
