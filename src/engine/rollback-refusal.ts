import type { PolicyConfig } from '../config/rotor-config.js';
import type { PolicyRecord } from '../domain/policy-record.js';

/**
 * Why the policy's previous credential cannot safely be put back, from the config and rotor's record alone
 * (what the requester is told at once); undefined when the rollback may go on to the checks at AWS and at the
 * vendor. `expectedCurrent`: the version the requester saw as current — a rotation since makes the request
 * stale (its "previous" is another credential now).
 */
export function rollbackRefusal(
  policy: PolicyConfig,
  record: PolicyRecord,
  nowMs: number,
  expectedCurrent?: string,
): string | undefined {
  const about = `policy ${policy.id}`;
  if (policy.capability === 'native-grace') {
    return `${about}: action ${policy.action} rotates with the vendor's own grace period: the vendor keeps one previous secret, which dies at the expiry set when it was issued and at the next rotation, so rolling back to it guarantees an outage; rotate again instead (rotor rotate)`;
  }
  if (policy.capability === 'extend') {
    return `${about}: action ${policy.action} extends one credential's expiry: there is no earlier credential to go back to`;
  }
  const { current, previous } = record;
  if (current === undefined || previous === undefined) {
    return `${about}: no previous version of secret ${policy.secret.id} to go back to (rotor's record holds ${current === undefined ? 'no rotation yet' : 'only the current credential'})`;
  }
  if (expectedCurrent !== undefined && current.versionId !== expectedCurrent) {
    return `${about}: the policy rotated since the rollback was asked for (AWSCURRENT was version ${expectedCurrent}, it is ${current.versionId} now): this rollback rolls nothing back — ask again if the current credential must go too`;
  }
  if (record.rolledBack?.versionId === previous.versionId) {
    return `${about}: version ${previous.versionId} is the one the last rollback took out of use; it is never promoted again (rotate to get a new credential)`;
  }
  if (previous.expiresAt !== undefined && previous.expiresAt <= nowMs) {
    return `${about}: the previous credential (version ${previous.versionId}) expired at ${new Date(previous.expiresAt).toISOString()}`;
  }
  return undefined;
}
