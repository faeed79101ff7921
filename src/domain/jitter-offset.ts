import { createHash } from 'node:crypto';

/**
 * How long after its due time a policy's scheduled rotation starts: a fixed point below its jitter, drawn from
 * its id. Policies sharing a schedule spread evenly over the window, and each keeps its place run after run,
 * so the order its trigger must be handled in is known before it fires.
 */
export function jitterOffsetMs(policy: { readonly id: string; readonly jitterMs: number }): number {
  if (policy.jitterMs <= 0) return 0;
  const fraction = createHash('sha256').update(policy.id).digest().readUIntBE(0, 6) / 2 ** 48;
  return Math.floor(fraction * policy.jitterMs);
}
