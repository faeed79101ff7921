import type { PolicyConsumers } from '../config/rotor-config.js';
import type { ConsumerStates } from './consumer-state.js';

/** Where a consumer's reload hook stands for the current version; an older version's outcome is `pending`. */
export interface ConsumerReloadView {
  readonly state: 'reloading' | 'failed' | 'pending';
  readonly versionId?: string;
  /** Epoch ms. */
  readonly at?: number;
  /** Why the last delivery failed: an HTTP status or a network error's code, never a body. */
  readonly error?: string;
}

export interface ConsumerView {
  readonly name: string;
  readonly confirmation: 'poll' | 'ack' | 'none';
  /** Whether it uses the current version; null when it has no confirmation. */
  readonly confirmed: boolean | null;
  /** The version it last said it uses, whichever that is (an older one: it is behind). */
  readonly confirmedVersionId?: string;
  /** Epoch ms. */
  readonly confirmedAt?: number;
  /** null when it has no reload hook. */
  readonly reload: ConsumerReloadView | null;
}

export interface HeldVersionView {
  readonly versionId: string;
  /** Epoch ms. */
  readonly since: number;
  readonly unconfirmed: readonly string[];
}

/** What status shows of a policy's consumers, against the record's current version. */
export interface ConsumersView {
  readonly list: readonly ConsumerView[];
  /** Consumers with a confirmation that have not confirmed the current version. */
  readonly unconfirmed: number;
  /** Displaced versions kept live past maxGrace for consumers that had not confirmed. */
  readonly held: readonly HeldVersionView[];
  /** Epoch ms: the due time of a scheduled run that waits until no version is held. */
  readonly runWaiting?: number;
}

/** The consumers view of a policy; undefined when it has no consumers. */
export function consumersView(
  consumers: PolicyConsumers | undefined,
  currentVersionId: string | undefined,
  states: ConsumerStates,
): ConsumersView | undefined {
  if (consumers === undefined || consumers.list.length === 0) return undefined;
  const list = consumers.list.map((consumer): ConsumerView => {
    const reload = consumer.reload === undefined ? null : reloadView(states, consumer.name, currentVersionId);
    if (consumer.confirm === undefined)
      return { name: consumer.name, confirmation: 'none', confirmed: null, reload };
    const known = states.confirmations.get(consumer.name);
    return {
      name: consumer.name,
      confirmation: consumer.confirm.kind,
      confirmed: currentVersionId !== undefined && known?.versionId === currentVersionId,
      ...(known === undefined ? {} : { confirmedVersionId: known.versionId, confirmedAt: known.at }),
      reload,
    };
  });
  return {
    list,
    unconfirmed: list.filter((consumer) => consumer.confirmed === false).length,
    held: states.held.map(({ versionId, since, unconfirmed }) => ({ versionId, since, unconfirmed })),
    ...(states.runWaitingDueMs === undefined ? {} : { runWaiting: states.runWaitingDueMs }),
  };
}

function reloadView(
  states: ConsumerStates,
  consumer: string,
  currentVersionId: string | undefined,
): ConsumerReloadView {
  const last = states.reloads.get(consumer);
  if (last === undefined || currentVersionId === undefined || last.versionId !== currentVersionId)
    return { state: 'pending' };
  return {
    state: last.outcome,
    versionId: last.versionId,
    at: last.at,
    ...(last.error === undefined ? {} : { error: last.error }),
  };
}
