import type { ConsumerConfig, PolicyConsumers } from '../config/rotor-config.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { type PollAnswer, pollConfirmation } from './confirmation-poll.js';
import type { ConsumerStateStore, ConsumerStates } from './consumer-state.js';

export interface ConsumerGateDeps {
  readonly consumers: ConsumerStateStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Replaced in unit tests; the daemon polls over HTTP. */
  readonly poll?: typeof pollConfirmation;
}

/** Where the revoke of a displaced credential stands with the policy's consumers. */
export type ConsumerVerdict =
  /** Every consumer with a confirmation uses the current version (or none has a confirmation). */
  | { readonly kind: 'confirmed' }
  /** Some have not confirmed, and the deadline has not passed: look again at `untilMs`. */
  | { readonly kind: 'waiting'; readonly unconfirmed: readonly string[]; readonly untilMs: number }
  /** The deadline has passed and some have still not confirmed. */
  | { readonly kind: 'overdue'; readonly unconfirmed: readonly string[] };

/** Consumers that confirm only by ack are looked at this often (an ack also wakes the revoke at once). */
const ACK_RECHECK_MS = 60_000;

export const confirmingConsumers = (consumers: PolicyConsumers | undefined): readonly ConsumerConfig[] =>
  consumers?.list.filter((consumer) => consumer.confirm !== undefined) ?? [];

/** How often a waiting revoke looks again: the shortest poll interval of the policy's consumers. */
export function recheckEveryMs(consumers: PolicyConsumers | undefined): number {
  let every = ACK_RECHECK_MS;
  for (const consumer of confirmingConsumers(consumers)) {
    if (consumer.confirm?.kind === 'poll') every = Math.min(every, consumer.confirm.everyMs);
  }
  return every;
}

/**
 * Whether the consumers have switched to `currentVersionId`, the version that displaced the credential to
 * revoke: stored confirmations first, then one poll of each polled consumer that has not confirmed it (the
 * answer is stored, whatever version it names, so status shows who is behind).
 */
export async function consumerVerdict(
  deps: ConsumerGateDeps,
  request: {
    readonly policyId: string;
    readonly consumers: PolicyConsumers | undefined;
    readonly currentVersionId: string | undefined;
    /** Past this, unconfirmed consumers are overdue (a revoke: displacement + maxGrace). */
    readonly deadlineMs: number;
    readonly states: ConsumerStates;
  },
): Promise<ConsumerVerdict> {
  const confirming = confirmingConsumers(request.consumers);
  if (confirming.length === 0) return { kind: 'confirmed' };
  const { currentVersionId } = request;
  const unconfirmed = await Promise.all(
    confirming.map(async (consumer) => {
      const known = request.states.confirmations.get(consumer.name);
      if (currentVersionId !== undefined && known?.versionId === currentVersionId) return undefined;
      if (consumer.confirm?.kind !== 'poll') return consumer.name;
      const answer: PollAnswer = await (deps.poll ?? pollConfirmation)(consumer.confirm);
      if ('problem' in answer) {
        deps.log.warn(
          { policyId: request.policyId, consumer: consumer.name, problem: answer.problem },
          'consumer confirmation URL gave no version id',
        );
        return consumer.name;
      }
      if (answer.versionId !== known?.versionId) {
        await deps.consumers.confirm(request.policyId, consumer.name, {
          versionId: answer.versionId,
          at: deps.clock.now(),
          via: 'poll',
        });
      }
      return answer.versionId === currentVersionId ? undefined : consumer.name;
    }),
  );
  const behind = unconfirmed.filter((name): name is string => name !== undefined);
  if (behind.length === 0) return { kind: 'confirmed' };
  const deadline = request.deadlineMs;
  const now = deps.clock.now();
  if (now >= deadline) return { kind: 'overdue', unconfirmed: behind };
  return {
    kind: 'waiting',
    unconfirmed: behind,
    untilMs: Math.min(now + recheckEveryMs(request.consumers), deadline),
  };
}
