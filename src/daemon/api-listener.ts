import type { ApiDeps } from '../api/api-deps.js';
import { buildApiServer } from '../api/api-server.js';
import type { ApiConnectionLimits } from '../config/rotor-config.js';

export interface RunningApi {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the HTTP API on the configured address, with its timeouts and connection cap; port 0 picks a free
 * one (tests).
 */
export async function startApi(
  listen: { readonly host: string; readonly port: number; readonly limits: ApiConnectionLimits },
  deps: ApiDeps,
): Promise<RunningApi> {
  const app = buildApiServer(deps, listen.limits);
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return { url: `http://${host}:${port}`, close: () => app.close() };
}
