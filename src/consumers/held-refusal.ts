import type { PolicyConfig } from '../config/rotor-config.js';
import { confirmingConsumers } from './consumer-gate.js';
import type { ConsumerStateStore } from './consumer-state.js';

/**
 * Why an on-demand rotation that is not forced must not start: a displaced credential of the policy is held
 * for consumers that have not confirmed its successor, and a rotation now would displace a second one while
 * they may still use the first. Undefined when nothing is held (or the policy has no confirming consumer).
 */
export async function heldRefusal(
  store: ConsumerStateStore,
  policy: PolicyConfig,
): Promise<string | undefined> {
  if (confirmingConsumers(policy.consumers).length === 0) return undefined;
  const { held } = await store.read(policy.id);
  const [first] = held;
  if (first === undefined) return undefined;
  const versions = held.map((version) => version.versionId).join(', ');
  const behind = [...new Set(held.flatMap((version) => version.unconfirmed))].join(', ');
  return `policy ${policy.id}: version ${versions} of secret ${policy.secret.id} is held for consumers that have not confirmed its successor (${behind}); a rotation now would displace another credential. Force it to rotate anyway`;
}
