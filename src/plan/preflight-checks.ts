import type { PolicyConfig } from '../config/rotor-config.js';
import { isRotationError } from '../domain/errors.js';
import type { ConnectionHttp } from '../engine/ports.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { unexpectedErrorFields } from '../lib/unexpected-error.js';
import type { SecretSink } from '../sinks/sink.js';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const CHECK_TIMEOUT_MS = 15_000;
// `rotor plan` prints this line (its output is redacted like the daemon's log): the class and first frame of
// an unexpected error say where it came from.
const reasonOf = (error: unknown) => {
  if (isRotationError(error)) return error.message;
  const { errorClass, message, frames } = unexpectedErrorFields(error);
  return `unexpected failure: ${errorClass}: ${message}${frames[0] ? ` (${frames[0]})` : ''}`;
};

/**
 * Read-only checks of one policy: the provider's preflight (admin credential and target) and the AWS
 * secret (reachable, writable by rotor, not under AWS's own rotation). Nothing is issued or changed.
 */
export async function preflightChecks(
  policy: PolicyConfig,
  deps: {
    readonly sink: SecretSink;
    /** The connection's clients, within its rate limit: a plan shares the daemon's budget. */
    readonly http: ConnectionHttp;
    readonly clock: Clock;
    readonly log: Logger;
  },
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const provider = policy.connection.provider;
  try {
    await provider.preflight(
      { connection: policy.connection.settings, target: policy.target },
      {
        http: deps.http(policy.connection),
        log: deps.log,
        signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
        clock: deps.clock,
        policyId: policy.id,
        runId: `${policy.id}-plan`,
      },
    );
    results.push({ name: `${provider.id} admin credential and target`, ok: true, detail: 'ok' });
  } catch (error) {
    results.push({ name: `${provider.id} admin credential and target`, ok: false, detail: reasonOf(error) });
  }
  const target = { secretId: policy.secret.id, policyId: policy.id, adopt: policy.secret.adopt };
  try {
    const state = await deps.sink.inspect(target, AbortSignal.timeout(CHECK_TIMEOUT_MS));
    const detail =
      state === undefined
        ? 'does not exist yet: the first run creates it'
        : state.currentVersionId === undefined
          ? 'exists, no current version yet'
          : `exists, AWSCURRENT is ${state.currentVersionId}`;
    const needsCurrent = policy.capability === 'extend' && state?.currentVersionId === undefined;
    results.push({
      name: 'AWS secret',
      ok: !needsCurrent,
      detail: needsCurrent
        ? `${detail}; action ${policy.action} needs an existing credential to extend`
        : detail,
    });
  } catch (error) {
    results.push({ name: 'AWS secret', ok: false, detail: reasonOf(error) });
  }
  return results;
}
