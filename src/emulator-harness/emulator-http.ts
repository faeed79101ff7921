import type { QuotaRule } from './quota.js';

/** A request as an emulator route sees it: the body is read fully before routing. */
export interface EmulatorRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface EmulatorResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as-is; anything else as JSON. */
  readonly body?: unknown;
}

export interface RouteMatch {
  /** Stable name of the operation, used for faults and the call log. */
  readonly routeId: string;
  handle(): EmulatorResponse | Promise<EmulatorResponse>;
}

export interface EmulatorApi {
  /** Finds the route for a request; undefined answers the emulator's 404. */
  resolve(request: EmulatorRequest): RouteMatch | undefined;
  /**
   * The vendor's error response for a status (used for injected faults and unknown routes), with `message` as
   * its error text when given (the `echo-credentials` fault), else the vendor's own text for the status.
   */
  errorResponse(status: number, retryAfterSeconds?: number, message?: string): EmulatorResponse;
  /** The vendor's documented request quotas (enforced only when switched on). */
  readonly quotas?: readonly QuotaRule[];
  /** A 200 body that breaks the documented shape, for the `malformed` fault. */
  malformedResponse(): EmulatorResponse;
  /** Extra control routes under `/__emulator/` (seeding, inspection) specific to this emulator. */
  control?(request: EmulatorRequest, name: string): EmulatorResponse | Promise<EmulatorResponse> | undefined;
}

export interface PathRoute<P extends string> {
  readonly id: string;
  readonly method: string;
  /** `/accounts/:accountId/access/service_tokens/:tokenId` */
  readonly pattern: string;
  readonly handle: (
    params: Record<P, string>,
    request: EmulatorRequest,
  ) => EmulatorResponse | Promise<EmulatorResponse>;
}

/** Routes REST requests by method and path pattern; `:name` segments become params. */
export function pathRouter<P extends string>(routes: readonly PathRoute<P>[]) {
  const compiled = routes.map((route) => {
    const names: string[] = [];
    const source = route.pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { route, names, regex: new RegExp(`^${source}/?$`) };
  });
  return (request: EmulatorRequest): RouteMatch | undefined => {
    for (const { route, names, regex } of compiled) {
      if (route.method !== request.method) continue;
      const match = regex.exec(request.path);
      if (!match) continue;
      const params: Record<string, string> = {};
      names.forEach((name, index) => {
        params[name] = decodeURIComponent(match[index + 1] ?? '');
      });
      return { routeId: route.id, handle: () => route.handle(params as Record<P, string>, request) };
    }
    return undefined;
  };
}
