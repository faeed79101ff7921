import { expect } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import type { AwsSecrets } from './aws-secrets.js';
import type { FaultOutcome } from './fault-ledger.js';
import type { ProviderWorld } from './open-provider-world.js';
import type { ProviderFixture } from './provider-fixture.js';
import { dumpKeys, leaksIn } from './redis.js';

/** A text rotor produced that a suite saw, by where: a log, CLI output, a webhook body, an API answer. */
export type Place = readonly [string, string];

/** What the fault summary's measured columns are made of, so a suite can assert on the details. */
export interface MeasuredOutcome {
  /** Policies whose AWSCURRENT credential the vendor does not accept (or that have none), with why. */
  readonly lost: readonly string[];
  /** Credentials live at a vendor beyond what the policies legitimately hold, as `provider id`. */
  readonly extraLive: readonly string[];
  readonly leaks: readonly string[];
  readonly columns: Pick<FaultOutcome, 'credentialsLost' | 'duplicateIssues' | 'leakedValues'>;
}

export interface OutcomeSources {
  readonly world: ProviderWorld;
  readonly aws: AwsSecrets;
  /** Every policy using the world's vendors: what they hold is all that may be live there. */
  readonly policies: readonly PolicyConfig[];
  /** Everything rotor produced that the suite saw; the world's Redis is added. */
  readonly texts: readonly Place[];
  /** Secrets of the suite's own beyond the world's (API tokens…). */
  readonly extraSecrets?: readonly string[];
}

export function fixtureFor(world: ProviderWorld, policy: PolicyConfig): ProviderFixture {
  const fixture = world.fixtures.find((f) => f.providerId === policy.connection.provider.id);
  if (!fixture) throw new Error(`no fixture for ${policy.connection.provider.id}`);
  return fixture;
}

/**
 * The fault summary's measured columns, each counted the one way every suite counts it:
 *
 * - lost: per policy, the credential AWSCURRENT holds (read with the official AWS SDK) is not accepted by its
 *   vendor, by the fixture's `accepts` (the provider's one definition), or there is none;
 * - duplicates: credentials live at a vendor (its emulator's store, Moov's refresh tokens included) that no
 *   policy legitimately holds. A policy holds its AWSCURRENT credential, and each credential it displaced while
 *   the grace period since then runs: an AWS version whose successor was stored less than `gracePeriod` ago
 *   (the successor's creation is a little before its promotion, so a suite measures well inside the grace or
 *   after the revokes ran, never at its very end);
 * - leaked: hits of every secret the world holds (each credential issued, the admin ones, AWS's, the journal
 *   key, the webhook secret) and the suite's own, in every encoding, in the texts and the world's Redis.
 */
export async function measureOutcome(sources: OutcomeSources): Promise<MeasuredOutcome> {
  const { world, aws, policies } = sources;
  const lost: string[] = [];
  const legit = new Map<ProviderFixture, Set<string>>();
  const now = Date.now();
  for (const policy of policies) {
    const fixture = fixtureFor(world, policy);
    const held = legit.get(fixture) ?? new Set<string>();
    legit.set(fixture, held);
    const versions = await aws.versions(policy.secret.id);
    const currentAt = versions.findIndex((version) => version.stages.includes('AWSCURRENT'));
    const current = versions[currentAt];
    const currentCredential = current && (await aws.version(policy.secret.id, current))?.credential;
    if (currentCredential === undefined) lost.push(`${policy.id}: no AWSCURRENT`);
    else if (!(await fixture.accepts(currentCredential)))
      lost.push(`${policy.id}: the vendor refuses AWSCURRENT (${current?.versionId})`);
    for (const [index, version] of versions.entries()) {
      const successor = versions[index + 1];
      const displacedInGrace =
        index < currentAt && successor !== undefined && now - successor.createdAt < policy.gracePeriodMs;
      if (index !== currentAt && !displacedInGrace) continue;
      const credential =
        index === currentAt ? currentCredential : (await aws.version(policy.secret.id, version))?.credential;
      const id = credential === undefined ? undefined : fixture.credentialId(credential);
      if (id !== undefined) held.add(id);
    }
  }
  const extraLive = [...legit].flatMap(([fixture, held]) =>
    fixture
      .liveCredentials()
      .filter((id) => !held.has(id))
      .map((id) => `${fixture.providerId} ${id}`),
  );
  const leaks = await suiteLeaks(world, sources.texts, sources.extraSecrets, { aws, policies });
  return {
    lost,
    extraLive,
    leaks,
    columns: { credentialsLost: lost.length, duplicateIssues: extraLive.length, leakedValues: leaks.length },
  };
}

/**
 * Every hit of every secret the world holds and the suite's own, in the texts and the world's Redis (keys
 * and values under its prefix). The list of secrets is asserted non-empty and, for the `covering` policies,
 * to include each credential AWSCURRENT holds: a scan for nothing would find nothing.
 */
export async function suiteLeaks(
  world: ProviderWorld,
  texts: readonly Place[],
  extraSecrets: readonly string[] = [],
  covering?: { readonly aws: AwsSecrets; readonly policies: readonly PolicyConfig[] },
): Promise<string[]> {
  const secrets = [...world.secrets(), ...extraSecrets].filter((secret) => secret !== '');
  expect(secrets.length, 'the secrets a leak scan looks for').toBeGreaterThan(0);
  for (const policy of covering?.policies ?? []) {
    const stored = await covering?.aws.version(policy.secret.id, 'AWSCURRENT');
    if (stored === undefined) continue;
    const document = JSON.stringify(stored.credential);
    expect(
      secrets.some((secret) => document.includes(secret)),
      `the leak scan looks for ${policy.id}'s credential`,
    ).toBe(true);
  }
  return leaksIn(secrets, [...texts, ['Redis', await dumpKeys(world.redis, world.prefix)]]);
}
