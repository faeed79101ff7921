import type { PolicyConfig } from '../config/rotor-config.js';
import { type ConsumerStateStore, emptyConsumerStates } from '../consumers/consumer-state.js';
import { consumersView } from '../consumers/consumer-view.js';
import type { PolicyStatus } from './policy-status.js';

/**
 * The statuses with their policies' consumers: the consumer states of the policies that have consumers are
 * read in one round trip, and nothing is read for a fleet without any.
 */
export async function withConsumers(
  store: ConsumerStateStore,
  policies: readonly PolicyConfig[],
  statuses: readonly PolicyStatus[],
): Promise<PolicyStatus[]> {
  const consuming = new Map(
    policies.filter((policy) => policy.consumers !== undefined).map((policy) => [policy.id, policy]),
  );
  if (consuming.size === 0) return [...statuses];
  const states = await store.readMany([...consuming.keys()]);
  return statuses.map((status) => {
    const policy = consuming.get(status.policyId);
    if (policy === undefined) return status;
    const view = consumersView(
      policy.consumers,
      status.currentVersionId,
      states.get(policy.id) ?? emptyConsumerStates,
    );
    return view === undefined ? status : { ...status, consumers: view };
  });
}
