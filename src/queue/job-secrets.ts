import type { Secret } from '../domain/secret.js';
import type { Redactor, SecretScope } from '../domain/secret-redactor.js';
import { credentialIn } from '../engine/credential-codec.js';
import type { AnyProvider } from '../providers/provider.js';
import type {
  InspectOutcome,
  PromoteOutcome,
  SecretSink,
  SinkSecretState,
  SinkTarget,
  StoredVersion,
} from '../sinks/sink.js';
import type { ProcessorDeps } from './processor-deps.js';

/**
 * The sink as one job sees it. Every credential a job handles passes through the sink: the one it issued is
 * staged, the current one (for a refresh), a staged one it verifies and the displaced one it revokes are read
 * back. Their secret members are held in the job's scope before the call, so a vendor or AWS error quoting
 * them is redacted wherever it goes. The scope ends with the job: issued credentials never pile up in the
 * redactor over a daemon's life (it holds the config's secrets plus those of the jobs running now). One is
 * made per job: a class, so that making it builds no closures.
 */
class CredentialHoldingSink implements SecretSink {
  readonly id: string;
  readonly #sink: SecretSink;
  readonly #scope: SecretScope;
  readonly #providerOf: (policyId: string) => AnyProvider | undefined;

  constructor(
    sink: SecretSink,
    scope: SecretScope,
    providerOf: (policyId: string) => AnyProvider | undefined,
  ) {
    this.id = sink.id;
    this.#sink = sink;
    this.#scope = scope;
    this.#providerOf = providerOf;
  }

  inspect(target: SinkTarget, signal: AbortSignal): Promise<SinkSecretState | undefined> {
    return this.#sink.inspect(target, signal);
  }

  inspectMany(targets: readonly SinkTarget[], signal: AbortSignal): Promise<InspectOutcome[]> {
    return this.#sink.inspectMany(targets, signal);
  }

  ensure(target: SinkTarget, signal: AbortSignal): Promise<SinkSecretState> {
    return this.#sink.ensure(target, signal);
  }

  stage(target: SinkTarget, versionId: string, value: Secret<string>, signal: AbortSignal): Promise<void> {
    this.#hold(target.policyId, value);
    return this.#sink.stage(target, versionId, value, signal);
  }

  async read(
    target: SinkTarget,
    version: { readonly versionId: string } | 'current',
    signal: AbortSignal,
  ): Promise<StoredVersion | undefined> {
    const stored = await this.#sink.read(target, version, signal);
    if (stored) this.#hold(target.policyId, stored.value);
    return stored;
  }

  promote(
    target: SinkTarget,
    versionId: string,
    expectedCurrent: string | undefined,
    signal: AbortSignal,
  ): Promise<PromoteOutcome> {
    return this.#sink.promote(target, versionId, expectedCurrent, signal);
  }

  attachLabel(target: SinkTarget, versionId: string, label: string, signal: AbortSignal): Promise<void> {
    return this.#sink.attachLabel(target, versionId, label, signal);
  }

  moveLabel(target: SinkTarget, versionId: string, label: string, signal: AbortSignal): Promise<void> {
    return this.#sink.moveLabel(target, versionId, label, signal);
  }

  detachLabel(target: SinkTarget, versionId: string, label: string, signal: AbortSignal): Promise<void> {
    return this.#sink.detachLabel(target, versionId, label, signal);
  }

  #hold(policyId: string, document: Secret<string>): void {
    const provider = this.#providerOf(policyId);
    const credential = provider && credentialIn(document, provider.schemas.credential);
    if (provider && credential !== undefined) this.#scope.hold(provider.secretsOf(credential));
  }
}

export function credentialHoldingSink(
  sink: SecretSink,
  scope: SecretScope,
  providerOf: (policyId: string) => AnyProvider | undefined,
): SecretSink {
  return new CredentialHoldingSink(sink, scope, providerOf);
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
