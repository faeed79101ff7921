import { alertRevocationFailed } from '../../alerts/rotation-alerts.js';
import { isRotationError } from '../../domain/errors.js';
import { sweepOrphans } from '../../engine/orphan-sweep.js';
import { logUnexpected } from '../../lib/unexpected-error.js';
import { asRotationError } from '../failure-policy.js';
import type { ProcessorDeps } from '../processor-deps.js';

/**
 * The orphan sweep over every policy whose provider can list what rotor made. A policy that cannot be
 * checked (its vendor or AWS failing) is left alone and logged; the others are still swept.
 */
export async function orphanSweep(deps: ProcessorDeps): Promise<string> {
  let deleted = 0;
  let failed = 0;
  let skipped = 0;
  for (const policy of deps.policies.values()) {
    if (policy.paused) continue;
    let outcome: Awaited<ReturnType<typeof sweepOrphans>>;
    try {
      outcome = await sweepOrphans(deps, policy);
    } catch (caught) {
      skipped++;
      if (!isRotationError(caught)) {
        logUnexpected(deps.log, caught, { policyId: policy.id }, 'unexpected failure in the orphan sweep');
      }
      deps.log.error(
        { err: asRotationError(caught), policyId: policy.id },
        'orphan sweep: the policy could not be checked; nothing of it was deleted',
      );
      continue;
    }
    if (outcome.skipped !== undefined) skipped++;
    deleted += outcome.deleted.length;
    failed += outcome.failed.length;
    for (const _handle of outcome.deleted) deps.metrics?.orphanDeleted(policy);
    for (const failure of outcome.failed) {
      if (deps.alerts) await alertRevocationFailed(deps.alerts, policy, failure);
    }
  }
  return `orphans deleted: ${deleted}, failed: ${failed}${skipped > 0 ? `, policies skipped: ${skipped}` : ''}`;
}
