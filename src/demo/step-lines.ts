import type { StepEvent } from '../engine/ports.js';

const STEP_WIDTH = 8;

/** What each step did, in words; steps not listed print their name only. */
const meaning: Readonly<Record<string, string>> = {
  issue: 'new credential from the provider',
  journal: 'encrypted into the journal',
  stage: 'written as AWSPENDING',
  verify: 'new credential checked',
  promote: 'now AWSCURRENT',
  commit: 'done',
  revoke: 'displaced credential revoked',
  reload: 'consumer reloaded the secret',
  confirm: 'consumer confirmed the new version',
  'awaiting-consumers': 'revoke waits for consumers to confirm',
  held: 'displaced credential held: consumers have not confirmed',
  retrying: 'will retry',
  delayed: 'rate-limited; waiting for Retry-After',
  failed: 'gave up',
};

/** One readable line per step for the demo: time, policy, step, AWS version id, note. Never a value. */
export function formatStepLine(event: StepEvent, atMs: number, policyWidth: number): string {
  const time = new Date(atMs).toISOString().slice(11, 19);
  return [
    time,
    event.policyId.padEnd(policyWidth),
    event.step.padEnd(STEP_WIDTH),
    meaning[event.step] ?? '',
    event.versionId === undefined ? '' : `· AWS version ${event.versionId}`,
    event.note === undefined ? '' : `· ${event.note}`,
  ]
    .filter((part) => part !== '')
    .join('  ');
}
