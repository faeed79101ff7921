import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isRotationError, type RotationError } from '../../domain/errors.js';
import type { HttpResponse } from '../../lib/http-client.js';
import { unwrap } from './tagoio.wire.js';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const response = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
  text: typeof body === 'string' ? body : JSON.stringify(body),
});
const failureOf = (run: () => unknown): RotationError => {
  try {
    run();
  } catch (error) {
    if (isRotationError(error)) return error;
    throw error;
  }
  throw new Error('expected a RotationError');
};
const unwrapList = (res: HttpResponse, notFoundMeansGone = false) =>
  unwrap('list service authorizations', res, z.array(z.string()), NOW, { notFoundMeansGone });

describe('the TagoIO envelope', () => {
  it('returns the result of {status: true, result}, ignoring a warning message', () => {
    expect(unwrapList(response(200, { status: true, result: ['a'] }))).toEqual(['a']);
    expect(unwrapList(response(200, { status: true, result: ['a'], message: 'Warning message' }))).toEqual([
      'a',
    ]);
  });

  it('reads the vendor message from both documented error shapes', () => {
    expect(
      failureOf(() => unwrapList(response(400, { status: false, message: 'Invalid request data' }))),
    ).toMatchObject({ kind: 'invalid-config', message: expect.stringMatching(/Invalid request data/) });
    expect(
      failureOf(() => unwrapList(response(422, { status: false, result: { message: 'Bad permission' } }))),
    ).toMatchObject({ kind: 'invalid-config', message: expect.stringMatching(/Bad permission/) });
  });

  it('treats HTTP 200 with status false as a refusal, not as a result', () => {
    const error = failureOf(() =>
      unwrapList(response(200, { status: false, message: 'Authorization Denied' })),
    );
    expect(error).toMatchObject({ kind: 'invalid-config', details: { status: 200, system: 'tagoio' } });
    expect(error.message).toMatch(/refused \(HTTP 200, status false: Authorization Denied\)/);
  });

  it('honours Retry-After on 429, and is still throttling without it', () => {
    const limited = failureOf(() =>
      unwrapList(response(429, { status: false, message: 'Too Many Requests' }, { 'retry-after': '42' })),
    );
    expect(limited).toMatchObject({ kind: 'rate-limited', details: { retryAfterMs: 42_000 } });
    expect(failureOf(() => unwrapList(response(429, 'Too Many Requests'))).kind).toBe('rate-limited');
    expect(failureOf(() => unwrapList(response(502, '<html>Bad gateway</html>'))).kind).toBe('transient');
  });

  it('calls a 404 "gone" only where the path names a token and the body is TagoIO’s', () => {
    const tagoio404 = response(404, { status: false, message: 'Authorization token not found' });
    expect(failureOf(() => unwrapList(tagoio404, true)).kind).toBe('not-found');
    expect(failureOf(() => unwrapList(tagoio404, false)).kind).toBe('invalid-config');
    expect(failureOf(() => unwrapList(response(404, '<html>nginx</html>'), true)).kind).toBe(
      'invalid-config',
    );
  });

  it('calls a 2xx of another shape a protocol error', () => {
    for (const body of ['{"status":true,"result":{"tok', { result: [] }, { status: true, result: [1] }, ''])
      expect(failureOf(() => unwrapList(response(200, body))).kind).toBe('protocol');
  });

  it('redacts token-like text that TagoIO echoes in a message', () => {
    const token = 'at0123456789abcdef0123456789abcdef';
    const error = failureOf(() =>
      unwrapList(response(400, { status: false, message: `token ${token} is not valid` })),
    );
    expect(error.message).not.toContain(token);
    expect(error.message).toContain('[redacted]');
  });
});
