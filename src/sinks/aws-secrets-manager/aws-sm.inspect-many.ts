import { ListSecretsCommand, type SecretListEntry } from '@aws-sdk/client-secrets-manager';
import { mapConcurrently } from '../../lib/bounded-concurrency.js';
import type { InspectOutcome, SinkSecretState, SinkTarget } from '../sink.js';
import type { AwsSecretsManagerCaller } from './aws-sm.client.js';
import { refusalFor, stateOf } from './aws-sm.ownership.js';

/** From this many secrets on, one ListSecrets page per 100 secrets costs less than a DescribeSecret each. */
const LIST_FROM = 100;
const DESCRIBE_CONCURRENCY = 16;

type Inspect = (target: SinkTarget, signal: AbortSignal) => Promise<SinkSecretState | undefined>;

const outcomeOf = async (work: () => Promise<SinkSecretState | undefined>): Promise<InspectOutcome> => {
  try {
    return { ok: true, state: await work() };
  } catch (error) {
    return { ok: false, error };
  }
};

/**
 * Many secrets' states: for a fleet, from a paged ListSecrets of the account (1,000 calls for 100,000 secrets
 * instead of 100,000). ListSecrets is eventually consistent, so a secret it does not list is described before
 * it counts as missing; when the listing fails (say the role may not list), every secret is described.
 */
export async function inspectMany(
  aws: AwsSecretsManagerCaller,
  inspect: Inspect,
  targets: readonly SinkTarget[],
  signal: AbortSignal,
): Promise<InspectOutcome[]> {
  // Each call gets a signal of its own: the SDK listens on it, and one shared by every call would collect
  // a listener per request in flight.
  const describeEach = (targets: readonly SinkTarget[]) =>
    mapConcurrently(targets, DESCRIBE_CONCURRENCY, (target) =>
      outcomeOf(() => inspect(target, AbortSignal.any([signal]))),
    );
  if (targets.length < LIST_FROM) return describeEach(targets);
  let listed: Map<string, SecretListEntry>;
  try {
    listed = await listAll(aws, signal);
  } catch {
    return describeEach(targets);
  }
  const outcomes = new Array<InspectOutcome>(targets.length);
  const unlisted: number[] = [];
  targets.forEach((target, index) => {
    const entry = listed.get(target.secretId);
    if (!entry) {
      unlisted.push(index);
      return;
    }
    const description = { ...entry, VersionIdsToStages: entry.SecretVersionsToStages };
    const refusal = refusalFor(target, description);
    try {
      outcomes[index] = refusal
        ? { ok: false, error: refusal }
        : { ok: true, state: stateOf('ListSecrets', description) };
    } catch (error) {
      // A malformed entry (no ARN) fails that policy's check alone.
      outcomes[index] = { ok: false, error };
    }
  });
  const confirmed = await describeEach(unlisted.map((index) => targets[index] as SinkTarget));
  unlisted.forEach((index, position) => {
    outcomes[index] = confirmed[position] as InspectOutcome;
  });
  return outcomes;
}

/** Every secret of the account by name and by ARN. */
async function listAll(
  aws: AwsSecretsManagerCaller,
  signal: AbortSignal,
): Promise<Map<string, SecretListEntry>> {
  const secrets = new Map<string, SecretListEntry>();
  let nextToken: string | undefined;
  do {
    const page = await aws.call('ListSecrets', signal, (client, send) =>
      client.send(new ListSecretsCommand({ MaxResults: 100, NextToken: nextToken }), send),
    );
    for (const entry of page.SecretList ?? []) {
      if (entry.Name !== undefined) secrets.set(entry.Name, entry);
      if (entry.ARN !== undefined) secrets.set(entry.ARN, entry);
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken !== undefined);
  return secrets;
}
