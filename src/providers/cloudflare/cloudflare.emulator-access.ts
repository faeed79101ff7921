import { randomBytes } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse } from '../../emulator-harness/emulator-http.js';
import type { CloudflareStore } from './cloudflare.emulator-store.js';

/**
 * An application behind Cloudflare Access with a service-token policy: a valid, enabled, unexpired
 * CF-Access-Client-Id/Secret pair (or a previous secret within its grace) passes; no pair is sent to the login
 * page; a wrong pair is refused.
 */
export function accessGate(
  store: CloudflareStore,
  teamDomain: string,
  request: EmulatorRequest,
): EmulatorResponse {
  const clientId = request.headers['cf-access-client-id'];
  const clientSecret = request.headers['cf-access-client-secret'];
  if (clientId === undefined || clientSecret === undefined) {
    const redirect = encodeURIComponent(`${request.headers.host ?? 'app.example.com'}${request.path}`);
    return {
      status: 302,
      headers: {
        location: `https://${teamDomain}/cdn-cgi/access/login/app.example.com?redirect_url=${redirect}`,
      },
    };
  }
  if (!store.admits(clientId, clientSecret)) {
    return {
      status: 403,
      headers: { 'content-type': 'text/html' },
      body: "<html><body>Forbidden. You don't have permission to view this.</body></html>",
    };
  }
  return {
    status: 200,
    headers: {
      'set-cookie': `CF_Authorization=${randomBytes(24).toString('base64url')}; Path=/; HttpOnly; Secure`,
    },
    body: { ok: true, path: request.path },
  };
}
