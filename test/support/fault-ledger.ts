import { appendFileSync } from 'node:fs';
import { inject } from 'vitest';

/** What one fault scenario did and what came of it; summed into the table printed after the run. */
export interface FaultOutcome {
  readonly suite: string;
  readonly faultsInjected: number;
  readonly rotationsCompleted: number;
  /** Rotations whose credential in AWSCURRENT the vendor did not accept afterwards. */
  readonly credentialsLost: number;
  /** Issues at the vendor beyond one per rotation. */
  readonly duplicateIssues: number;
  readonly leakedValues: number;
}

export function recordFaultOutcome(outcome: FaultOutcome): void {
  appendFileSync(inject('faultLedger'), `${JSON.stringify(outcome)}\n`);
}
