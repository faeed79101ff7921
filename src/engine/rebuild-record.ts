import type { PolicyConfig } from '../config/rotor-config.js';
import { fingerprint } from '../domain/ids.js';
import type { CredentialRef, PolicyRecord } from '../domain/policy-record.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { SecretSink, SinkTarget, StoredVersion } from '../sinks/sink.js';
import { credentialIn, provenanceOf } from './credential-codec.js';
import type { RecordStore } from './ports.js';

export interface RebuildDeps {
  readonly records: RecordStore;
  readonly sink: SecretSink;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface RebuildOutcome {
  readonly record: PolicyRecord;
  /** True when this call wrote the record from AWS (another caller may have got there first). */
  readonly rebuilt: boolean;
}

/**
 * The policy's record, rebuilt from AWS Secrets Manager when Redis has none while the policy's secret exists,
 * or when `olderThan` names the record's current version and AWS has moved past it (a failover to a replica
 * that missed the last writes, a restored backup): current and previous from the AWSCURRENT and AWSPREVIOUS
 * versions (version id, the credential's handle, fingerprint and expiry, the run from the document's
 * provenance), and the last success from when AWSCURRENT was written. Nothing is issued, revoked or deleted
 * here. Any other record is returned as it is.
 */
export async function rebuildRecord(
  deps: RebuildDeps,
  policy: PolicyConfig,
  signal: AbortSignal,
  olderThan?: string,
): Promise<RebuildOutcome> {
  // A stale record is rewritten only while no run is under way (a run settles its own view with AWS) and it
  // still names the version AWS moved past.
  const replaceable = (stored: PolicyRecord): boolean =>
    stored.revision === 0 ||
    (olderThan !== undefined && stored.inFlight === undefined && stored.current?.versionId === olderThan);
  const record = await deps.records.get(policy.id);
  if (!replaceable(record)) return { record, rebuilt: false };
  const target: SinkTarget = { secretId: policy.secret.id, policyId: policy.id, adopt: policy.secret.adopt };
  const state = await deps.sink.inspect(target, signal);
  if (state?.currentVersionId === undefined || state.currentVersionId === olderThan)
    return { record, rebuilt: false };
  const [current, previous] = await Promise.all(
    [state.currentVersionId, state.previousVersionId].map((versionId) =>
      versionId === undefined ? undefined : deps.sink.read(target, { versionId }, signal),
    ),
  );
  const currentRef = current && credentialRefOf(policy, current);
  const previousRef = previous && credentialRefOf(policy, previous);
  const now = deps.clock.now();
  let wrote = false;
  const updated = await deps.records.update(policy.id, (stored) => {
    // Another replica, or a run of the policy, wrote it meanwhile: theirs stands.
    if (!replaceable(stored)) return stored;
    wrote = true;
    return {
      ...stored,
      ...(currentRef === undefined ? {} : { current: currentRef }),
      ...(previousRef === undefined ? {} : { previous: previousRef }),
      ...(current?.createdAt === undefined ? {} : { lastSuccessAt: current.createdAt }),
      rebuiltAt: now,
    };
  });
  if (wrote) {
    deps.log.warn(
      {
        policyId: policy.id,
        current: currentRef?.versionId ?? null,
        previous: previousRef?.versionId ?? null,
        ...(olderThan === undefined ? {} : { recorded: olderThan }),
      },
      olderThan === undefined
        ? 'policy record rebuilt from AWS Secrets Manager (Redis had none)'
        : 'policy record rebuilt from AWS Secrets Manager (Redis held an older one: a failover to a replica that missed writes, or a restored backup)',
    );
  }
  return { record: updated, rebuilt: wrote };
}

/** A version's credential as the record refers to it; undefined when it holds no credential of the provider. */
export function credentialRefOf(policy: PolicyConfig, version: StoredVersion): CredentialRef | undefined {
  const provider = policy.connection.provider;
  const credential = credentialIn(version.value, provider.schemas.credential);
  if (credential === undefined) return undefined;
  const expiresAt = provider.expiresAt(credential)?.getTime();
  return {
    // A document rotor did not write (an adopted secret's first value) names no run.
    runId: provenanceOf(version.value)?.runId ?? '',
    handle: provider.handleOf(credential),
    versionId: version.versionId,
    fingerprint: fingerprint(version.value.reveal()),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}
