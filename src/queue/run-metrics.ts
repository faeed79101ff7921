import type { PolicyConfig } from '../config/rotor-config.js';

export type RunOutcome = 'succeeded' | 'failed' | 'retrying' | 'delayed';

/** How a rollback job ended: the previous credential restored, refused (nothing changed), or failed for good. */
export type RollbackOutcome = 'rolled-back' | 'refused' | 'failed';

/** What the queue's jobs tell the metrics as they run (src/metrics implements it). */
export interface RunMetrics {
  runFinished(policy: PolicyConfig, outcome: RunOutcome, durationMs: number): void;
  rollbackFinished(policy: PolicyConfig, outcome: RollbackOutcome): void;
  orphanDeleted(policy: PolicyConfig): void;
  /** A scheduled or before-expiry run started its first attempt this long after its due time plus jitter offset. */
  scheduledRunStarted(trigger: 'schedule' | 'expiry', latenessMs: number): void;
}
