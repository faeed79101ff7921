import type { HttpClientFactory } from '../lib/http-client.js';
import type { RequestGate } from './request-gate.js';

/** Every request of clients made by this factory first passes the gate. */
export function gatedHttpFactory(factory: HttpClientFactory, gate: RequestGate): HttpClientFactory {
  return (baseUrl, system) => {
    const client = factory(baseUrl, system);
    return {
      async send(request) {
        await gate.pass({ system, operation: request.operation, signal: request.signal });
        return client.send(request);
      },
    };
  };
}
