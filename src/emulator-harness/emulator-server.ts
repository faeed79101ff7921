import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallLog } from './call-log.js';
import { type CredentialPlace, echoedCredentials } from './echo-credentials.js';
import type { EmulatorApi, EmulatorRequest, EmulatorResponse } from './emulator-http.js';
import { type Fault, FaultPlan, faultRuleSchema } from './fault-plan.js';
import { jsonBodyValue } from './json-body.js';
import { QuotaPlan, type QuotaSettings, quotaSettingsSchema } from './quota.js';

const CONTROL_PREFIX = '/__emulator/';
const ECHO_FROM: readonly CredentialPlace[] = ['headers', 'body', 'path'];
// An empty control body is read as null, which the schemas refuse with their issues.
const CONTROL_BODY = { whenEmpty: null };

export interface EmulatorServerOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Whether the API's documented quotas are enforced from the start (default off), and any overrides. */
  readonly quotas?: QuotaSettings;
}

export interface EmulatorServer {
  /** `http://host:port`, no trailing slash. */
  readonly origin: string;
  readonly faults: FaultPlan;
  readonly calls: CallLog;
  readonly quotas: QuotaPlan;
  close(): Promise<void>;
}

async function readRequest(message: IncomingMessage): Promise<EmulatorRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  const url = new URL(message.url ?? '/', 'http://emulator');
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: message.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers,
    body: Buffer.concat(chunks),
  };
}

function send(res: ServerResponse, response: EmulatorResponse): void {
  const isText = typeof response.body === 'string';
  const payload =
    response.body === undefined ? '' : isText ? String(response.body) : JSON.stringify(response.body);
  const headers: Record<string, string> = { ...response.headers };
  if (payload !== '' && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
    headers['content-type'] = isText ? 'text/plain' : 'application/json';
  }
  res.writeHead(response.status, { ...headers, 'content-length': String(Buffer.byteLength(payload)) });
  res.end(payload);
}

/**
 * Serves one emulated API: routes requests, injects faults per route, records calls, and answers the
 * control endpoint (`/__emulator/faults`, `/__emulator/calls`, plus the emulator's own control routes).
 */
export async function startEmulatorServer(
  api: EmulatorApi,
  options: EmulatorServerOptions = {},
): Promise<EmulatorServer> {
  const faults = new FaultPlan();
  const calls = new CallLog();
  const quotas = new QuotaPlan(api.quotas ?? []);
  if (options.quotas) quotas.configure(options.quotas);

  async function control(request: EmulatorRequest, name: string): Promise<EmulatorResponse> {
    if (name === 'faults') {
      if (request.method === 'GET') return { status: 200, body: { faults: faults.list() } };
      if (request.method === 'DELETE') {
        faults.clear(request.query.get('route') ?? undefined);
        return { status: 204 };
      }
      if (request.method === 'POST') {
        const rule = faultRuleSchema.safeParse(jsonBodyValue(request, CONTROL_BODY));
        if (!rule.success)
          return { status: 400, body: { error: 'invalid fault rule', issues: rule.error.issues } };
        faults.add(rule.data);
        return { status: 201, body: { faults: faults.list() } };
      }
    }
    if (name === 'calls') {
      if (request.method === 'GET') return { status: 200, body: { calls: calls.all() } };
      if (request.method === 'DELETE') {
        calls.clear();
        return { status: 204 };
      }
    }
    if (name === 'quotas') {
      if (request.method === 'GET')
        return { status: 200, body: { enforced: quotas.enforced, quotas: quotas.list() } };
      if (request.method === 'PUT') {
        const settings = quotaSettingsSchema.safeParse(jsonBodyValue(request, CONTROL_BODY));
        if (!settings.success)
          return { status: 400, body: { error: 'invalid quota settings', issues: settings.error.issues } };
        try {
          quotas.configure(settings.data);
        } catch (error) {
          return { status: 400, body: { error: (error as Error).message } };
        }
        return { status: 200, body: { enforced: quotas.enforced, quotas: quotas.list() } };
      }
    }
    const own = await api.control?.(request, name);
    return (
      own ?? { status: 404, body: { error: `no control route ${request.method} ${CONTROL_PREFIX}${name}` } }
    );
  }

  async function applyFault(
    fault: Fault,
    request: EmulatorRequest,
    res: ServerResponse,
  ): Promise<'answered' | 'continue'> {
    switch (fault.kind) {
      case 'hold-response':
        return 'continue';
      case 'delay':
        // A client that hangs up while the request is held (a timeout, a killed process) never reaches the
        // handler, so a held request cannot change state long after its test has moved on.
        return (await heldUntilClientLeaves(fault.delayMs, res)) ? 'answered' : 'continue';
      case 'drop':
        res.socket?.destroy();
        return 'answered';
      case 'malformed':
        send(res, api.malformedResponse());
        return 'answered';
      case 'rate-limit':
        send(res, api.errorResponse(429, fault.retryAfterSeconds));
        return 'answered';
      case 'status':
        send(res, api.errorResponse(fault.status));
        return 'answered';
      case 'echo-credentials':
        send(
          res,
          api.errorResponse(fault.status, undefined, echoedCredentials(request, fault.from ?? ECHO_FROM)),
        );
        return 'answered';
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await readRequest(req);
    if (request.path.startsWith(CONTROL_PREFIX)) {
      send(res, await control(request, request.path.slice(CONTROL_PREFIX.length)));
      return;
    }
    const match = api.resolve(request);
    if (!match) {
      send(res, api.errorResponse(404));
      return;
    }
    const fault = faults.take(match.routeId);
    if (fault && (await applyFault(fault, request, res)) === 'answered') {
      calls.record({
        routeId: match.routeId,
        method: request.method,
        path: request.path,
        status: res.statusCode,
        fault: fault.kind,
        at: Date.now(),
      });
      return;
    }
    const throttled = quotas.admit(match.routeId, Date.now());
    if (throttled) {
      const retryAfterSeconds = throttled.retryAfter ? Math.ceil(throttled.waitMs / 1000) : undefined;
      const refusal = api.errorResponse(429, retryAfterSeconds);
      calls.record({
        routeId: match.routeId,
        method: request.method,
        path: request.path,
        status: refusal.status,
        fault: 'quota',
        at: Date.now(),
      });
      send(res, refusal);
      return;
    }
    const response = await match.handle();
    calls.record({
      routeId: match.routeId,
      method: request.method,
      path: request.path,
      status: response.status,
      at: Date.now(),
    });
    if (fault?.kind === 'hold-response' && (await heldUntilClientLeaves(fault.delayMs, res))) return;
    send(res, response);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, api.errorResponse(500));
      else res.destroy();
    });
  });
  // Vendors keep connections open between calls. undici reuses one only when the advertised keep-alive exceeds
  // its 2 s safety margin: at 1 s every call opened a new connection.
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    origin: `http://${host}:${address.port}`,
    faults,
    calls,
    quotas,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits `ms`; true when the client closed the connection first. */
async function heldUntilClientLeaves(ms: number, res: ServerResponse): Promise<boolean> {
  const left = new AbortController();
  const onClose = () => left.abort();
  res.once('close', onClose);
  try {
    await sleep(ms, undefined, { signal: left.signal });
    return false;
  } catch {
    return true;
  } finally {
    res.off('close', onClose);
  }
}
