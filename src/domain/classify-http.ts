import { type ErrorKind, RotationError, type RotationErrorDetails } from './errors.js';

/**
 * Maps an HTTP status to what the scheduler should do. A 429 is throttling with or without Retry-After: it
 * waits (the header's time, else a backoff) and never spends one of the run's attempts.
 */
export function kindForStatus(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'not-found';
  if (status === 429) return 'rate-limited';
  if (status === 408 || status === 409 || status === 425) return 'transient';
  if (status >= 500) return 'transient';
  if (status >= 400) return 'invalid-config';
  return 'protocol';
}

export interface HttpFailure {
  readonly system: string;
  readonly operation: string;
  readonly status: number;
  readonly retryAfterMs?: number | undefined;
  readonly vendorCode?: string | undefined;
  /** Already sanitised vendor text. */
  readonly vendorMessage?: string | undefined;
}

export function httpFailure(failure: HttpFailure): RotationError {
  const kind = kindForStatus(failure.status);
  const vendor = [failure.vendorCode && `code ${failure.vendorCode}`, failure.vendorMessage]
    .filter(Boolean)
    .join(': ');
  const message = `${failure.system} ${failure.operation} failed with HTTP ${failure.status}${vendor ? ` (${vendor})` : ''}`;
  const details: RotationErrorDetails = {
    system: failure.system,
    operation: failure.operation,
    status: failure.status,
    ...(failure.vendorCode === undefined ? {} : { vendorCode: failure.vendorCode }),
    ...(kind === 'rate-limited' && failure.retryAfterMs !== undefined
      ? { retryAfterMs: failure.retryAfterMs }
      : {}),
  };
  return new RotationError(kind, message, details);
}

const transientNetworkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'TimeoutError',
  'AbortError',
]);

/** A failure below HTTP (no status): connection refused or reset, timeouts, aborted requests. */
export function networkFailure(system: string, operation: string, code: string | undefined): RotationError {
  const known = code !== undefined && transientNetworkCodes.has(code);
  const what = known ? code : 'unknown network error';
  return new RotationError('transient', `${system} ${operation} failed before a response: ${what}`, {
    system,
    operation,
  });
}

/** A response that does not have the shape the API documents: the API changed or our client is wrong. */
export function protocolFailure(
  system: string,
  operation: string,
  problem: string,
  status?: number,
): RotationError {
  return new RotationError('protocol', `${system} ${operation} returned an unexpected response: ${problem}`, {
    system,
    operation,
    ...(status === undefined ? {} : { status }),
  });
}
