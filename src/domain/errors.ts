import type { Redactor } from './secret-redactor.js';

/**
 * What the scheduler should do about a failure, decided once at the HTTP/SDK boundary.
 * - transient: retry with exponential backoff and jitter
 * - rate-limited: wait `retryAfterMs` without burning an attempt
 * - auth / invalid-config / protocol: stop at once and alert
 * - not-found: the calling step decides (revoke treats it as success)
 * - busy: another job is working on the policy's run; wait without burning an attempt (it is no failure)
 */
export const errorKinds = [
  'transient',
  'rate-limited',
  'busy',
  'auth',
  'invalid-config',
  'not-found',
  'protocol',
] as const;
export type ErrorKind = (typeof errorKinds)[number];

export type Step = 'preflight' | 'issue' | 'journal' | 'stage' | 'verify' | 'promote' | 'commit' | 'revoke';

export interface RotationErrorDetails {
  /** Which system failed: a provider id or the sink id. */
  readonly system?: string;
  readonly operation?: string;
  readonly step?: Step;
  readonly policyId?: string;
  readonly status?: number;
  readonly vendorCode?: string;
  readonly retryAfterMs?: number;
}

/**
 * The only error type that crosses module boundaries. The message is built from status codes, vendor codes
 * and sanitised vendor messages: never from request or response objects, which can carry credentials.
 */
export class RotationError extends Error {
  override readonly name = 'RotationError';
  readonly kind: ErrorKind;
  readonly details: RotationErrorDetails;

  constructor(kind: ErrorKind, message: string, details: RotationErrorDetails = {}) {
    super(message);
    this.kind = kind;
    this.details = details;
  }

  /** The same failure seen from a higher level (a policy and step), keeping kind and wire facts. */
  within(context: Pick<RotationErrorDetails, 'policyId' | 'step'>): RotationError {
    const details = { ...this.details, ...context };
    const where = [context.policyId && `policy ${context.policyId}`, context.step && `step ${context.step}`]
      .filter(Boolean)
      .join(', ');
    return new RotationError(this.kind, where ? `${where}: ${this.message}` : this.message, details);
  }

  /**
   * The same failure with every registered secret value removed from its message and vendor code, for storing,
   * alerting and logging (vendor text, however sanitised, may echo the request's credentials in any encoding).
   */
  redacted(redactor: Redactor): RotationError {
    const { vendorCode } = this.details;
    return new RotationError(this.kind, redactor.redact(this.message), {
      ...this.details,
      ...(vendorCode === undefined ? {} : { vendorCode: redactor.redact(vendorCode) }),
    });
  }

  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate-limited' || this.kind === 'busy';
  }
}

export function isRotationError(error: unknown): error is RotationError {
  return error instanceof RotationError;
}
