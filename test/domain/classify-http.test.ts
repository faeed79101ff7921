import { describe, expect, it } from 'vitest';
import {
  httpFailure,
  kindForStatus,
  networkFailure,
  protocolFailure,
} from '../../src/domain/classify-http.js';

describe('kindForStatus', () => {
  it.each([
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [408, 'transient'],
    [409, 'transient'],
    [429, 'rate-limited'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not-found'],
    [410, 'not-found'],
    [400, 'invalid-config'],
    [422, 'invalid-config'],
    [302, 'protocol'],
    [200, 'protocol'],
  ] as const)('HTTP %i is %s', (status, kind) => {
    expect(kindForStatus(status)).toBe(kind);
  });
});

describe('httpFailure', () => {
  it('names the system, operation, status and vendor code in the message', () => {
    const error = httpFailure({
      system: 'cloudflare',
      operation: 'rotate service token',
      status: 403,
      vendorCode: '10000',
      vendorMessage: 'Authentication error',
    });
    expect(error.kind).toBe('auth');
    expect(error.message).toBe(
      'cloudflare rotate service token failed with HTTP 403 (code 10000: Authentication error)',
    );
    expect(error.details).toMatchObject({ system: 'cloudflare', status: 403, vendorCode: '10000' });
  });

  it('keeps Retry-After only for a rate-limited failure', () => {
    expect(
      httpFailure({ system: 's', operation: 'o', status: 429, retryAfterMs: 5000 }).details.retryAfterMs,
    ).toBe(5000);
    expect(
      httpFailure({ system: 's', operation: 'o', status: 503, retryAfterMs: 5000 }).details.retryAfterMs,
    ).toBeUndefined();
  });

  it('adds policy and step when seen from a rotation, keeping the kind', () => {
    const error = httpFailure({ system: 'cloudflare', operation: 'get service token', status: 401 }).within({
      policyId: 'ci-runner',
      step: 'issue',
    });
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(
      /^policy ci-runner, step issue: cloudflare get service token failed with HTTP 401/,
    );
    expect(error.details).toMatchObject({ policyId: 'ci-runner', step: 'issue', status: 401 });
  });
});

describe('networkFailure and protocolFailure', () => {
  it('classifies a reset connection as transient and keeps only the code', () => {
    const error = networkFailure('aws-secrets-manager', 'PutSecretValue', 'ECONNRESET');
    expect(error.kind).toBe('transient');
    expect(error.message).toBe('aws-secrets-manager PutSecretValue failed before a response: ECONNRESET');
  });

  it('does not repeat an unknown error code verbatim', () => {
    expect(networkFailure('s', 'o', 'SOMETHING token=abc').message).toContain('unknown network error');
  });

  it('classifies an unexpected body as protocol', () => {
    const error = protocolFailure('cloudflare', 'list service tokens', 'result is not an array', 200);
    expect(error.kind).toBe('protocol');
    expect(error.retryable).toBe(false);
    expect(error.details.status).toBe(200);
  });
});
