import type { PolicyConfig } from '../config/rotor-config.js';
import { pollConfirmation } from '../consumers/confirmation-poll.js';
import { formatDuration } from '../domain/duration.js';
import type { CheckResult } from './preflight-checks.js';

// Only the host of a consumer's URL is shown: a path or query string may carry something the consumer
// treats as private.
const hostOf = (url: string) => new URL(url).host;

/** What happens to the credential a rotation displaces while the policy's consumers have not confirmed. */
function waitLine(policy: PolicyConfig): string | undefined {
  const consumers = policy.consumers;
  if (!consumers?.list.some((consumer) => consumer.confirm !== undefined)) return undefined;
  if (policy.capability === 'native-grace')
    return `the old secret expires after the grace period; consumers.unconfirmed is alerted before it if they have not confirmed`;
  const then =
    consumers.onUnconfirmed === 'hold' ? 'then holds the displaced credential' : 'then revokes it anyway';
  return `the revoke waits for confirmations up to ${formatDuration(consumers.maxGraceMs)} (maxGrace), ${then}`;
}

/**
 * The `consumers` lines of `rotor plan`: how the policy's displaced credential waits for its consumers, and
 * per consumer where its reload hook goes (the host only: plan never calls it, a hook is not read-only) and
 * how it confirms.
 */
export function consumerLines(policy: PolicyConfig): string[] {
  const consumers = policy.consumers?.list ?? [];
  if (consumers.length === 0) return [];
  const wait = waitLine(policy);
  const perConsumer = consumers.map((consumer) => {
    const parts = [
      consumer.reload ? `reload hook to ${hostOf(consumer.reload.url)} (not called by plan)` : undefined,
      consumer.confirm?.kind === 'poll'
        ? `confirms when ${hostOf(consumer.confirm.url)} answers the new version (polled every ${formatDuration(consumer.confirm.everyMs)})`
        : consumer.confirm?.kind === 'ack'
          ? `confirms by ack (POST /v1/policies/${policy.id}/versions/<versionId>/ack)`
          : undefined,
    ].filter((part) => part !== undefined);
    return `${consumer.name}: ${parts.join('; ')}`;
  });
  return [...(wait ? [wait] : []), ...perConsumer].map(
    (line, index) => `  ${index === 0 ? 'consumers' : ''.padEnd(9)}    ${line}`,
  );
}

/**
 * One read-only check per consumer that confirms by poll: a single GET of its confirmation URL, which must
 * answer the AWS version id the consumer uses.
 */
export async function consumerChecks(
  policy: PolicyConfig,
  poll: typeof pollConfirmation = pollConfirmation,
): Promise<CheckResult[]> {
  return Promise.all(
    (policy.consumers?.list ?? []).flatMap((consumer) => {
      const confirm = consumer.confirm;
      if (confirm?.kind !== 'poll') return [];
      const name = `consumer ${consumer.name} confirmation URL (${hostOf(confirm.url)})`;
      return [
        poll(confirm).then((answer) =>
          'problem' in answer
            ? { name, ok: false, detail: answer.problem }
            : { name, ok: true, detail: `reachable, uses version ${answer.versionId}` },
        ),
      ];
    }),
  );
}
