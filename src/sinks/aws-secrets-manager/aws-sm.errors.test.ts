import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../domain/errors.js';
import { RotationError } from '../../domain/errors.js';
import { classifyAwsError, isClockSkewCorrected } from './aws-sm.errors.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');

/** What the AWS SDK throws for an error response: the code as `name`, wire facts in `$metadata`/`$response`. */
function serviceError(
  code: string,
  status: number,
  options: { message?: string; headers?: Record<string, string>; clockSkewCorrected?: boolean } = {},
) {
  return Object.assign(new Error(options.message ?? `${code} happened`), {
    name: code,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: {
      httpStatusCode: status,
      ...(options.clockSkewCorrected === undefined ? {} : { clockSkewCorrected: options.clockSkewCorrected }),
    },
    $response: { statusCode: status, headers: options.headers ?? {} },
  });
}

/** What the SDK throws when no response arrived. */
function networkError(name: string, code?: string) {
  return Object.assign(new Error('socket trouble'), {
    name,
    ...(code ? { code } : {}),
    $metadata: { attempts: 1 },
  });
}

const rows: [string, unknown, ErrorKind][] = [
  ['a reset connection', networkError('Error', 'ECONNRESET'), 'transient'],
  ['a refused connection', networkError('Error', 'ECONNREFUSED'), 'transient'],
  ['the request timeout', networkError('TimeoutError', 'ETIMEDOUT'), 'transient'],
  ['an aborted request', Object.assign(new Error('Request aborted'), { name: 'AbortError' }), 'transient'],
  ['InternalServiceError (500)', serviceError('InternalServiceError', 500), 'transient'],
  ['ServiceUnavailable (503)', serviceError('ServiceUnavailable', 503), 'transient'],
  ['an unnamed 502 from a proxy', serviceError('Error', 502), 'transient'],
  ['ThrottlingException without Retry-After', serviceError('ThrottlingException', 400), 'rate-limited'],
  [
    'ThrottlingException with Retry-After',
    serviceError('ThrottlingException', 400, { headers: { 'retry-after': '7' } }),
    'rate-limited',
  ],
  [
    'TooManyRequestsException with Retry-After',
    serviceError('TooManyRequestsException', 429, { headers: { 'retry-after': '2' } }),
    'rate-limited',
  ],
  ['LimitExceededException', serviceError('LimitExceededException', 400), 'transient'],
  [
    'a bare 429 with Retry-After',
    serviceError('Unknown', 429, { headers: { 'retry-after': '1' } }),
    'rate-limited',
  ],
  ['AccessDeniedException', serviceError('AccessDeniedException', 400), 'auth'],
  ['UnrecognizedClientException', serviceError('UnrecognizedClientException', 400), 'auth'],
  ['InvalidSignatureException', serviceError('InvalidSignatureException', 400), 'auth'],
  [
    'a clock-skew InvalidSignatureException the SDK corrected',
    serviceError('InvalidSignatureException', 400, { clockSkewCorrected: true }),
    'transient',
  ],
  [
    'a ResourceNotFoundException the SDK flagged as clock-corrected',
    serviceError('ResourceNotFoundException', 400, { clockSkewCorrected: true }),
    'not-found',
  ],
  ['ExpiredTokenException', serviceError('ExpiredTokenException', 400), 'auth'],
  ['DecryptionFailure (KMS access)', serviceError('DecryptionFailure', 400), 'auth'],
  ['EncryptionFailure (KMS access)', serviceError('EncryptionFailure', 400), 'auth'],
  [
    'no credentials found',
    Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
    'auth',
  ],
  ['ResourceNotFoundException', serviceError('ResourceNotFoundException', 400), 'not-found'],
  ['InvalidParameterException', serviceError('InvalidParameterException', 400), 'invalid-config'],
  ['InvalidRequestException', serviceError('InvalidRequestException', 400), 'invalid-config'],
  ['ValidationException', serviceError('ValidationException', 400), 'invalid-config'],
  ['ResourceExistsException on CreateSecret', serviceError('ResourceExistsException', 400), 'invalid-config'],
  ['an unknown 400 code', serviceError('SomethingNewException', 400), 'invalid-config'],
  ['an unknown 403 code', serviceError('SomethingNewException', 403), 'auth'],
  ['a 200 the SDK could not deserialize', serviceError('SyntaxError', 200), 'protocol'],
];

describe('classifyAwsError', () => {
  it.each(rows)('classifies %s', (_, error, kind) => {
    const classified = classifyAwsError('CreateSecret', error, NOW);
    expect(classified).toBeInstanceOf(RotationError);
    expect(classified.kind).toBe(kind);
    expect(classified.details).toMatchObject({ system: 'aws-secrets-manager', operation: 'CreateSecret' });
  });

  it('says which operation failed, with status, code and the sanitised AWS message', () => {
    const error = serviceError('InvalidParameterException', 400, {
      message: 'Bad value AKIAABCDEFGH12345678XYZW\nfor parameter',
    });
    const classified = classifyAwsError('PutSecretValue', error, NOW);
    expect(classified.message).toBe(
      'aws-secrets-manager PutSecretValue failed with HTTP 400 (InvalidParameterException: Bad value [redacted] for parameter)',
    );
    expect(classified.details).toEqual({
      system: 'aws-secrets-manager',
      operation: 'PutSecretValue',
      status: 400,
      vendorCode: 'InvalidParameterException',
    });
  });

  it('reports a reused version token on PutSecretValue as a rotor bug (protocol)', () => {
    const classified = classifyAwsError('PutSecretValue', serviceError('ResourceExistsException', 400), NOW);
    expect(classified.kind).toBe('protocol');
    expect(classified.message).toContain('rotor reused a version id');
  });

  it('carries the Retry-After delay, in seconds or as an HTTP date, on rate-limited errors', () => {
    const inSeconds = classifyAwsError(
      'GetSecretValue',
      serviceError('ThrottlingException', 400, { headers: { 'retry-after': '7' } }),
      NOW,
    );
    expect(inSeconds.details.retryAfterMs).toBe(7000);
    const asDate = classifyAwsError(
      'GetSecretValue',
      serviceError('ThrottlingException', 400, {
        headers: { 'retry-after': new Date(NOW + 30_000).toUTCString() },
      }),
      NOW,
    );
    expect(asDate.details.retryAfterMs).toBe(30_000);
  });

  it('names the network failure without quoting the error message', () => {
    const classified = classifyAwsError('DescribeSecret', networkError('Error', 'ECONNRESET'), NOW);
    expect(classified.message).toBe(
      'aws-secrets-manager DescribeSecret failed before a response: ECONNRESET',
    );
  });

  it('never quotes the parse error of an undeserializable body, which can contain the body', () => {
    const error = serviceError('SyntaxError', 200, {
      message: 'Unexpected token in JSON: {"SecretString":"s3cr3t-value"',
    });
    const classified = classifyAwsError('GetSecretValue', error, NOW);
    expect(classified.message).not.toContain('s3cr3t');
    expect(classified.message).toBe(
      'aws-secrets-manager GetSecretValue returned an unexpected response: the HTTP 200 body could not be deserialized',
    );
    const behindProxy = classifyAwsError(
      'GetSecretValue',
      serviceError('SyntaxError', 502, { message: 's3cr3t' }),
      NOW,
    );
    expect(behindProxy.message).toBe('aws-secrets-manager GetSecretValue failed with HTTP 502');
  });

  it('never keeps the SDK error as a cause or a property', () => {
    const classified = classifyAwsError('DescribeSecret', serviceError('AccessDeniedException', 400), NOW);
    expect(classified.cause).toBeUndefined();
    expect(JSON.stringify(classified)).not.toContain('$response');
  });

  it('passes a RotationError through unchanged', () => {
    const original = new RotationError('not-found', 'gone');
    expect(classifyAwsError('DescribeSecret', original, NOW)).toBe(original);
  });

  it('recognises an error after which the SDK corrected its clock', () => {
    expect(
      isClockSkewCorrected(serviceError('InvalidSignatureException', 400, { clockSkewCorrected: true })),
    ).toBe(true);
    expect(isClockSkewCorrected(serviceError('InvalidSignatureException', 400))).toBe(false);
    expect(
      isClockSkewCorrected(serviceError('AccessDeniedException', 400, { clockSkewCorrected: true })),
    ).toBe(false);
    expect(isClockSkewCorrected('not an error')).toBe(false);
  });
});
