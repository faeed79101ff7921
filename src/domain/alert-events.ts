/** Every event rotor can send to an alert endpoint. */
export const alertEventTypes = [
  'rotation.succeeded',
  'rotation.failed',
  'rotation.retrying',
  'rotation.window_overridden',
  'rotation.rolled_back',
  'revocation.failed',
  'revocation.refused',
  'consumers.unconfirmed',
  'consumers.reload_failed',
  'credential.expiring',
  'policy.needs_attention',
  'schedule.stalled',
  'state.lost',
] as const;
export type AlertEventType = (typeof alertEventTypes)[number];

/** Sent when an endpoint does not list its events: everything but the noisy per-attempt retries. */
export const defaultAlertEvents: readonly AlertEventType[] = alertEventTypes.filter(
  (type) => type !== 'rotation.retrying',
);

/** What an alert carries: ids, times, kinds and sanitised messages — never a secret value. */
export interface AlertEvent {
  readonly id: string;
  readonly type: AlertEventType;
  /** ISO 8601. */
  readonly time: string;
  /** Absent for daemon-wide events (state.lost). */
  readonly policyId?: string | undefined;
  readonly provider?: string | undefined;
  readonly runId?: string | undefined;
  readonly step?: string | undefined;
  readonly error?: { readonly kind: string; readonly message: string } | undefined;
  readonly secretId?: string | undefined;
  readonly secretArn?: string | undefined;
  readonly versionId?: string | undefined;
  /** Event-specific facts, e.g. `expiresAt`, `consecutiveFailures`, `nextRunAt`. */
  readonly details?: Readonly<Record<string, string | number>> | undefined;
}
