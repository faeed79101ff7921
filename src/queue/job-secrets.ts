import type { Secret } from '../domain/secret.js';
import type { Redactor, SecretScope } from '../domain/secret-redactor.js';
import { credentialIn } from '../engine/credential-codec.js';
import type { AnyProvider } from '../providers/provider.js';
import type { SecretSink } from '../sinks/sink.js';
import type { ProcessorDeps } from './processor-deps.js';

/**
 * The sink as one job sees it. Every credential a job handles passes through the sink: the one it issued is
 * staged, the current one (for a refresh), a staged one it verifies and the displaced one it revokes are read
 * back. Their secret members are held in the job's scope before the call, so a vendor or AWS error quoting
 * them is redacted wherever it goes. The scope ends with the job: issued credentials never pile up in the
 * redactor over a daemon's life (it holds the config's secrets plus those of the jobs running now).
 */
export function credentialHoldingSink(
  sink: SecretSink,
  scope: SecretScope,
  providerOf: (policyId: string) => AnyProvider | undefined,
): SecretSink {
  const hold = (policyId: string, document: Secret<string>): void => {
    const provider = providerOf(policyId);
    const credential = provider && credentialIn(document, provider.schemas.credential);
    if (provider && credential !== undefined) scope.hold(provider.secretsOf(credential));
  };
  return {
    id: sink.id,
    inspect: (target, signal) => sink.inspect(target, signal),
    inspectMany: (targets, signal) => sink.inspectMany(targets, signal),
    ensure: (target, signal) => sink.ensure(target, signal),
    stage: (target, versionId, value, signal) => {
      hold(target.policyId, value);
      return sink.stage(target, versionId, value, signal);
    },
    read: async (target, version, signal) => {
      const stored = await sink.read(target, version, signal);
      if (stored) hold(target.policyId, stored.value);
      return stored;
    },
    promote: (target, versionId, expectedCurrent, signal) =>
      sink.promote(target, versionId, expectedCurrent, signal),
  };
}

/** The deps one job runs with: its own secret scope, and the sink that fills it. */
export function withJobSecrets(deps: ProcessorDeps, scope: SecretScope): ProcessorDeps {
  const providerOf = (policyId: string) => deps.policies.get(policyId)?.connection.provider;
  return { ...deps, secrets: scope, sink: credentialHoldingSink(deps.sink, scope, providerOf) };
}

/**
 * What a job throws, redacted in place (BullMQ tells its error kinds apart by class, so the error itself is
 * kept): its message becomes the job's `failedReason` and its stack the job's `stacktrace`, both in Redis and
 * on the dashboard.
 */
export function redactedThrow(error: unknown, redactor: Redactor): unknown {
  if (!(error instanceof Error)) return error;
  error.message = redactor.redact(error.message);
  if (typeof error.stack === 'string') error.stack = redactor.redact(error.stack);
  return error;
}
