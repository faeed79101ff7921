import { alertRevocationFailed } from '../../alerts/rotation-alerts.js';
import { sweepOrphans } from '../../engine/orphan-sweep.js';
import type { ProcessorDeps } from '../processor-deps.js';

/** The orphan sweep over every policy whose provider can list what rotor made. */
export async function orphanSweep(deps: ProcessorDeps): Promise<string> {
  let deleted = 0;
  let failed = 0;
  for (const policy of deps.policies.values()) {
    if (policy.paused) continue;
    const outcome = await sweepOrphans(deps, policy);
    deleted += outcome.deleted.length;
    failed += outcome.failed.length;
    for (const _handle of outcome.deleted) deps.metrics?.orphanDeleted(policy);
    for (const failure of outcome.failed) {
      if (deps.alerts) await alertRevocationFailed(deps.alerts, policy, failure);
    }
  }
  return `orphans deleted: ${deleted}, failed: ${failed}`;
}
