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
 * instead of 100,000). Each page is matched against the targets as it arrives, so only their outcomes are
 * kept, never the account's listing. ListSecrets is eventually consistent, so a secret it does not list is
 * described before it counts as missing; when the listing fails (say the role may not list), every secret
 * not yet matched is described.
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
  const outcomes = new Array<InspectOutcome | undefined>(targets.length);
  const bySecretId = new Map<string, number[]>();
  targets.forEach((target, index) => {
    const indices = bySecretId.get(target.secretId);
    if (indices) indices.push(index);
    else bySecretId.set(target.secretId, [index]);
  });
  try {
    await listEach(aws, signal, (entry) => {
      // A target names its secret by name or by ARN; the two never coincide.
      for (const key of [entry.Name, entry.ARN]) {
        if (key === undefined) continue;
        for (const index of bySecretId.get(key) ?? []) {
          outcomes[index] = listedOutcome(targets[index] as SinkTarget, entry);
        }
      }
    });
  } catch {
    // Described below, one by one, like the secrets the listing did not show.
  }
  const unlisted = targets.flatMap((_target, index) => (outcomes[index] === undefined ? [index] : []));
  const confirmed = await describeEach(unlisted.map((index) => targets[index] as SinkTarget));
  unlisted.forEach((index, position) => {
    outcomes[index] = confirmed[position];
  });
  return outcomes as InspectOutcome[];
}

function listedOutcome(target: SinkTarget, entry: SecretListEntry): InspectOutcome {
  const description = { ...entry, VersionIdsToStages: entry.SecretVersionsToStages };
  try {
    const refusal = refusalFor(target, description);
    return refusal ? { ok: false, error: refusal } : { ok: true, state: stateOf('ListSecrets', description) };
  } catch (error) {
    // A malformed entry (no ARN) fails that policy's check alone.
    return { ok: false, error };
  }
}

/** Every secret of the account, page by page. */
async function listEach(
  aws: AwsSecretsManagerCaller,
  signal: AbortSignal,
  visit: (entry: SecretListEntry) => void,
): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await aws.call('ListSecrets', signal, (client, thisCall) =>
      client.send(thisCall(new ListSecretsCommand({ MaxResults: 100, NextToken: nextToken }))),
    );
    for (const entry of page.SecretList ?? []) visit(entry);
    nextToken = page.NextToken || undefined;
  } while (nextToken !== undefined);
}
