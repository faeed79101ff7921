import type { AlertEvent } from '../domain/alert-events.js';

const headline: Record<AlertEvent['type'], string> = {
  'rotation.succeeded': 'rotated',
  'rotation.failed': 'rotation FAILED',
  'rotation.retrying': 'rotation failed, retrying',
  'rotation.window_overridden':
    'rotating OUTSIDE its windows: the credential would expire before they allow a start',
  'rotation.rolled_back': 'ROLLED BACK: the previous credential is current again',
  'revocation.failed': 'revocation FAILED: the displaced credential is still live',
  'revocation.refused': 'revocation REFUSED: the job named a credential still in use (nothing was revoked)',
  'consumers.unconfirmed': 'consumers have NOT confirmed the new version',
  'consumers.reload_failed': 'a consumer’s reload hook FAILED: it may still use the old version',
  'credential.expiring': 'credential expires soon and no rotation is due before it',
  'policy.needs_attention': 'needs attention: failed runs in a row',
  'schedule.stalled': 'schedule stalled: its next run is not in the future',
  'state.lost': 'Redis LOST rotor’s state: schedules and records are being rebuilt from AWS',
};

/** The JSON format: the Standard Webhooks payload shape `{type, timestamp, data}`. */
export function jsonBody(event: AlertEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.time, data: event });
}

/** The Slack format: an incoming-webhook message with the facts as plain text. */
export function slackBody(event: AlertEvent): string {
  const facts = [
    event.runId && `run ${event.runId}`,
    event.step && `step ${event.step}`,
    event.versionId && `AWS version ${event.versionId}`,
    event.error && `${event.error.kind}: ${event.error.message}`,
    ...Object.entries(event.details ?? {}).map(([key, value]) => `${key} ${value}`),
  ].filter(Boolean);
  const subject = event.policyId === undefined ? '' : ` policy *${event.policyId}* (${event.provider})`;
  const text = `rotor:${subject} ${headline[event.type]}${facts.length ? `\n${facts.join('\n')}` : ''}`;
  return JSON.stringify({ text });
}
