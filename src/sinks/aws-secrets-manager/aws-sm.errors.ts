import { kindForStatus, networkFailure, protocolFailure } from '../../domain/classify-http.js';
import { type ErrorKind, isRotationError, RotationError } from '../../domain/errors.js';
import { parseRetryAfter } from '../../domain/retry-after.js';
import { sanitizeVendorMessage } from '../../domain/sanitize.js';

export const AWS_SM_SYSTEM = 'aws-secrets-manager';

// Codes as the JS SDK names its errors (the `__type` / x-amzn-ErrorType of the response).
const throttlingCodes = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

const transientCodes = new Set([
  // Secrets Manager's quota error (e.g. too many versions created recently): it clears with time, but is not
  // throttling, so it spends attempts and a policy rotating far too often ends in a failure, not a loop.
  'LimitExceededException',
  'InternalServiceError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const authCodes = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationTokenException',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'NotAuthorized',
  // KMS refused to encrypt or decrypt with the secret's key: almost always a key policy or grant.
  'DecryptionFailure',
  'EncryptionFailure',
]);

const invalidConfigCodes = new Set([
  'InvalidParameterException',
  'InvalidRequestException',
  'ValidationException',
  'SerializationException',
  'MalformedPolicyDocumentException',
  'PreconditionNotMetException',
  'InvalidNextTokenException',
  'UnknownOperationException',
  'ResourceExistsException',
]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly clockSkewCorrected?: unknown };
  readonly $response?: { readonly headers?: Readonly<Record<string, string | undefined>> };
}

const asShape = (error: unknown): SdkErrorShape =>
  typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};

const stringOr = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

// Codes AWS answers a badly timed signature with (smithy's CLOCK_SKEW_ERROR_CODES).
const clockSkewCodes = new Set([
  'AuthFailure',
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
]);

/**
 * True when AWS refused the signature's timestamp and the SDK has since corrected its signing clock from the
 * response's Date header: the same call, re-signed, will be accepted (the SDK's own retry would do exactly
 * this; rotor runs the SDK with retries off). The SDK sets the flag on any error once its offset is large,
 * so the code must say the refusal was about the signature.
 */
export function isClockSkewCorrected(error: unknown): boolean {
  const shape = asShape(error);
  const name = stringOr(shape.name);
  return shape.$metadata?.clockSkewCorrected === true && name !== undefined && clockSkewCodes.has(name);
}

function kindForCode(operation: string, code: string, status: number): ErrorKind {
  if (throttlingCodes.has(code) || status === 429) return 'rate-limited';
  if (transientCodes.has(code) || status >= 500) return 'transient';
  if (authCodes.has(code)) return 'auth';
  if (code === 'ResourceNotFoundException') return 'not-found';
  // Version ids are derived from run ids: the same id with a different value means rotor reused one.
  if (code === 'ResourceExistsException' && operation === 'PutSecretValue') return 'protocol';
  if (invalidConfigCodes.has(code)) return 'invalid-config';
  return kindForStatus(status);
}

/**
 * Turns any failure of an AWS SDK call into a RotationError. Only the status, the error code and a sanitised
 * AWS message are kept: never the SDK error itself, its request or its response.
 */
export function classifyAwsError(operation: string, error: unknown, nowMs: number): RotationError {
  if (isRotationError(error)) return error;
  const shape = asShape(error);
  const name = stringOr(shape.name);
  const status = shape.$metadata?.httpStatusCode;
  if (typeof status !== 'number') {
    if (name === 'CredentialsProviderError') {
      return new RotationError(
        'auth',
        `${AWS_SM_SYSTEM} ${operation} failed: no AWS credentials could be loaded`,
        {
          system: AWS_SM_SYSTEM,
          operation,
        },
      );
    }
    return networkFailure(AWS_SM_SYSTEM, operation, stringOr(shape.code) ?? name);
  }
  // A response arrived but could not be read (the SDK failed to deserialize it).
  if (status < 400) {
    return protocolFailure(
      AWS_SM_SYSTEM,
      operation,
      `the HTTP ${status} body could not be deserialized`,
      status,
    );
  }
  const code = name !== undefined && name !== 'Error' && name !== 'SyntaxError' ? name : undefined;
  const retryAfterMs = parseRetryAfter(shape.$response?.headers?.['retry-after'], nowMs);
  const kind = isClockSkewCorrected(error) ? 'transient' : kindForCode(operation, code ?? '', status);
  // Without an AWS error code the message is the SDK's own parse error, which can quote the body.
  const vendorMessage = code === undefined ? '' : sanitizeVendorMessage(stringOr(shape.message) ?? '');
  const vendor = [code, vendorMessage].filter(Boolean).join(': ');
  const bug =
    kind === 'protocol' && code === 'ResourceExistsException'
      ? ': the version id is already used by a version with a different value, so rotor reused a version id (a bug)'
      : '';
  return new RotationError(
    kind,
    `${AWS_SM_SYSTEM} ${operation} failed with HTTP ${status}${vendor ? ` (${vendor})` : ''}${bug}`,
    {
      system: AWS_SM_SYSTEM,
      operation,
      status,
      ...(code === undefined ? {} : { vendorCode: code }),
      ...(kind === 'rate-limited' && retryAfterMs !== undefined ? { retryAfterMs } : {}),
    },
  );
}
