import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorApi } from '../../src/emulator-harness/emulator-http.js';
import { pathRouter } from '../../src/emulator-harness/emulator-http.js';
import { type EmulatorServer, startEmulatorServer } from '../../src/emulator-harness/emulator-server.js';

// A minimal API that exercises the harness: one stateful counter.
let counter = 0;
const api: EmulatorApi = {
  resolve: pathRouter<'name'>([
    {
      id: 'increment',
      method: 'POST',
      pattern: '/counters/:name',
      handle: (params) => ({ status: 200, body: { name: params.name, value: ++counter } }),
    },
  ]),
  errorResponse: (status, retryAfterSeconds, message) => ({
    status,
    headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
    body: { error: message ?? `status ${status}` },
  }),
  malformedResponse: () => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"name":',
  }),
};

let emulator: EmulatorServer;
const increment = () => fetch(`${emulator.origin}/counters/a`, { method: 'POST' });
const control = (path: string, init?: RequestInit) => fetch(`${emulator.origin}/__emulator/${path}`, init);

beforeAll(async () => {
  emulator = await startEmulatorServer(api);
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.faults.clear();
  emulator.calls.clear();
});

describe('emulator server', () => {
  it('routes by method and path and records the call without its body', async () => {
    const response = await increment();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: 'a' });
    expect(emulator.calls.handled('increment')).toHaveLength(1);
    expect(Object.keys(emulator.calls.all()[0] ?? {}).sort()).toEqual([
      'at',
      'method',
      'path',
      'routeId',
      'status',
    ]);
  });

  it('echoes the request credentials in the error body, raw, spaced, in pieces, URL-encoded and base64', async () => {
    const token = 'tok+en/0123456789abcdefghij';
    const before = counter;
    emulator.faults.add({ route: 'increment', fault: { kind: 'echo-credentials', status: 401 }, times: 1 });
    const response = await fetch(`${emulator.origin}/counters/a`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
    const { error } = (await response.json()) as { error: string };
    expect(error).toContain(`${token.slice(0, 8)} ${token.slice(8)}`);
    expect(error).toContain(`${token.slice(0, 20)} / ${token.slice(20)}`);
    expect(error).toContain(encodeURIComponent(token));
    expect(error).toContain(Buffer.from(token).toString('base64'));
    expect(error).toContain(` ${token}`);
    expect(counter).toBe(before);
  });

  it('answers an unknown route with the API error body', async () => {
    const response = await fetch(`${emulator.origin}/nothing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'status 404' });
  });

  it('injects a status fault for the given number of requests, without running the handler', async () => {
    emulator.faults.add({ route: 'increment', fault: { kind: 'status', status: 503 }, times: 2 });
    const before = counter;
    expect((await increment()).status).toBe(503);
    expect((await increment()).status).toBe(503);
    expect((await increment()).status).toBe(200);
    expect(counter).toBe(before + 1);
    expect(emulator.calls.handled('increment')).toHaveLength(1);
    expect(emulator.calls.all().filter((call) => call.fault === 'status')).toHaveLength(2);
  });

  it('injects 429 with Retry-After', async () => {
    emulator.faults.add({ route: '*', fault: { kind: 'rate-limit', retryAfterSeconds: 12 }, times: 1 });
    const response = await increment();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('12');
  });

  it('injects a malformed body', async () => {
    emulator.faults.add({ route: 'increment', fault: { kind: 'malformed' }, times: 1 });
    const response = await increment();
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow();
  });

  it('injects a dropped connection', async () => {
    emulator.faults.add({ route: 'increment', fault: { kind: 'drop' }, times: 1 });
    await expect(increment()).rejects.toThrow();
    expect((await increment()).status).toBe(200);
  });

  it('holds the answer of a handled request: a client that gives up never learns the effect happened', async () => {
    emulator.faults.add({ route: 'increment', fault: { kind: 'hold-response', delayMs: 60_000 }, times: 1 });
    const before = counter;
    await expect(
      fetch(`${emulator.origin}/counters/a`, { method: 'POST', signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    expect(counter).toBe(before + 1);
    expect(emulator.calls.handled('increment')).toHaveLength(1);
    expect(await (await increment()).json()).toMatchObject({ value: before + 2 });
  });

  it('takes, lists and clears faults over the control endpoint', async () => {
    const added = await control('faults', {
      method: 'POST',
      body: JSON.stringify({ route: 'increment', fault: { kind: 'status', status: 500 } }),
    });
    expect(added.status).toBe(201);
    expect((await increment()).status).toBe(500);
    expect(await (await control('faults')).json()).toEqual({
      faults: [{ route: 'increment', fault: { kind: 'status', status: 500 } }],
    });
    expect((await control('faults', { method: 'DELETE' })).status).toBe(204);
    expect((await increment()).status).toBe(200);
  });

  it('refuses a malformed fault rule over the control endpoint', async () => {
    const response = await control('faults', {
      method: 'POST',
      body: JSON.stringify({ route: 'increment', fault: { kind: 'melt' } }),
    });
    expect(response.status).toBe(400);
    expect(emulator.faults.list()).toEqual([]);
  });

  it('refuses a fault rule that is not JSON over the control endpoint', async () => {
    const response = await control('faults', { method: 'POST', body: '{"route":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid fault rule' });
    expect(emulator.faults.list()).toEqual([]);
  });

  it('reports calls over the control endpoint', async () => {
    await increment();
    const body = (await (await control('calls')).json()) as { calls: { routeId: string }[] };
    expect(body.calls.map((call) => call.routeId)).toEqual(['increment']);
  });
});
