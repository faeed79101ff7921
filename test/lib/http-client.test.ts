import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationError } from '../../src/domain/errors.js';
import { createHttpClientFactory } from '../../src/lib/http-client.js';

let server: Server;
let origin: string;
const seen: { method: string; url: string; body: string; headers: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
      if (req.url?.startsWith('/slow')) return; // never answers
      if (req.url?.startsWith('/drop')) return req.socket.destroy();
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, {
        'content-type': 'application/json',
        'retry-after': '7',
      });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const factory = createHttpClientFactory({ timeoutMs: 300 });

describe('http client', () => {
  it('sends JSON to the base URL plus path and query, and returns status, headers and text', async () => {
    const client = factory(`${origin}/client/v4/`, 'test');
    const response = await client.send({
      method: 'POST',
      path: '/things',
      operation: 'create thing',
      query: { page: 2, name: 'a b', skip: undefined },
      json: { name: 'x' },
    });
    expect(response).toMatchObject({ status: 200, text: '{"ok":true}' });
    expect(response.headers['retry-after']).toBe('7');
    const request = seen.at(-1);
    expect(request).toMatchObject({
      method: 'POST',
      url: '/client/v4/things?page=2&name=a+b',
      body: '{"name":"x"}',
    });
    expect(request?.headers['content-type']).toBe('application/json');
  });

  it('resolves for an error status: the caller classifies it with the vendor envelope', async () => {
    const response = await factory(origin, 'test').send({
      method: 'GET',
      path: '/missing',
      operation: 'get',
    });
    expect(response.status).toBe(404);
  });

  it('turns a request past the deadline into a transient error', async () => {
    const failure = await factory(origin, 'test')
      .send({ method: 'GET', path: '/slow', operation: 'slow call' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RotationError);
    expect(failure).toMatchObject({ kind: 'transient', details: { system: 'test', operation: 'slow call' } });
  });

  it('turns a dropped connection into a transient error', async () => {
    const failure = await factory(origin, 'test')
      .send({ method: 'GET', path: '/drop', operation: 'dropped call' })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'transient', message: expect.stringContaining('dropped call') });
  });

  it('turns a refused connection into a transient error', async () => {
    const failure = await factory('http://127.0.0.1:1', 'test')
      .send({ method: 'GET', path: '/', operation: 'refused call' })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'transient', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('never carries the request headers into an error', async () => {
    const failure = await factory('http://127.0.0.1:1', 'test')
      .send({
        method: 'GET',
        path: '/',
        operation: 'refused call',
        headers: { authorization: 'Bearer sekrit-123' },
      })
      .catch((error: unknown) => error);
    expect(JSON.stringify(failure)).not.toContain('sekrit');
    expect(String(failure)).not.toContain('sekrit');
  });
});
