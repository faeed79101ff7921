import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollConfirmation } from '../../src/consumers/confirmation-poll.js';
import { freePort } from '../support/free-port.js';

const VERSION = '3e6a0f5c-2222-4000-8000-0000000000aa';

/** A consumer's confirmation endpoints, one answer per path. */
const answers: Record<string, (response: ServerResponse) => void> = {
  '/json': (response) => json(response, 200, { versionId: VERSION, healthy: true }),
  '/json-field': (response) => json(response, 200, { loaded: { at: 1 }, secretVersion: VERSION }),
  '/header': (response) => {
    response.writeHead(204, { 'x-secret-version': VERSION });
    response.end();
  },
  '/unavailable': (response) => json(response, 503, { versionId: VERSION }),
  '/not-json': (response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<html>ok</html>');
  },
  '/too-large': (response) => json(response, 200, { versionId: VERSION, padding: 'x'.repeat(70 * 1024) }),
  '/no-field': (response) => json(response, 200, { version: VERSION }),
  '/not-a-version': (response) => json(response, 200, { versionId: 'AWSCURRENT; DROP' }),
  // Never answers: the poll's deadline ends it.
  '/silent': () => undefined,
};
const server = createServer((request, response) => answers[request.url ?? '']?.(response));
let base: string;

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

const poll = (path: string, where: { field?: string; header?: string } = {}, timeoutMs = 2_000) =>
  pollConfirmation({ kind: 'poll', url: `${base}${path}`, everyMs: 30_000, timeoutMs, ...where });

describe('polling a consumer for the AWS version it uses', () => {
  it('reads the version id from the `versionId` field of a JSON answer by default', async () => {
    expect(await poll('/json')).toEqual({ versionId: VERSION });
  });

  it('reads it from the JSON field the config names', async () => {
    expect(await poll('/json-field', { field: 'secretVersion' })).toEqual({ versionId: VERSION });
  });

  it('reads it from the header the config names, whatever the body', async () => {
    expect(await poll('/header', { header: 'X-Secret-Version' })).toEqual({ versionId: VERSION });
  });

  it('takes no version from an answer that is not 2xx', async () => {
    expect(await poll('/unavailable')).toEqual({ problem: 'answered HTTP 503' });
  });

  it('takes no version from a body that is not JSON', async () => {
    expect(await poll('/not-json')).toEqual({ problem: 'answered a body that is not JSON' });
  });

  it('stops reading an answer larger than 64 KiB', async () => {
    expect(await poll('/too-large')).toEqual({ problem: 'answered more than 65536 bytes' });
  });

  it('says which field was missing from the answer', async () => {
    expect(await poll('/no-field')).toEqual({
      problem: 'answered without a version id in its field "versionId"',
    });
    expect(await poll('/header', { header: 'X-Other' })).toEqual({
      problem: 'answered without a version id in its header X-Other',
    });
  });

  it('takes no value that is not an AWS version id', async () => {
    expect(await poll('/not-a-version')).toEqual({
      problem: 'answered a field "versionId" that is not an AWS version id',
    });
  });

  it('gives up at its timeout when the consumer does not answer', async () => {
    expect(await poll('/silent', {}, 200)).toEqual({ problem: 'did not answer (TimeoutError)' });
  });

  it('says so when nothing listens at the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}/version`;
    expect(await pollConfirmation({ kind: 'poll', url, everyMs: 30_000, timeoutMs: 2_000 })).toEqual({
      problem: 'did not answer (ECONNREFUSED)',
    });
  });
});
