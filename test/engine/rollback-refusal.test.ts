import { beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import type { CredentialRef, PolicyRecord } from '../../src/domain/policy-record.js';
import { rollbackRefusal } from '../../src/engine/rollback-refusal.js';
import { env, load, validYaml } from '../config/config-fixtures.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const HOUR_MS = 3_600_000;
const V1 = '11111111-1111-4111-8111-111111111111';
const V2 = '22222222-2222-4222-8222-222222222222';
const V3 = '33333333-3333-4333-8333-333333333333';

// ci-runner (Cloudflare `rotate`, native grace) comes from the fixture; a Cloudflare `refresh` policy (extend)
// and a TagoIO `rotate` policy (overlap) are added to it.
const yaml = validYaml
  .replace(
    'connections:\n',
    'connections:\n  tago: { provider: tagoio, token: { env: TAGO_TOKEN }, region: eu-w1 }\n',
  )
  .replace(
    /\npolicies:\n/,
    `
policies:
  - id: extended
    connection: cf-prod
    action: refresh
    target: { serviceTokenId: 0b9d3c6e-2a41-4f57-9e1d-7c5a8b3f2e10 }
    schedule: { every: 30d }
    secret: { id: prod/extended/cloudflare-access }
  - id: gateway
    connection: tago
    action: rotate
    target: { name: gateway, permission: write }
    schedule: { every: 30d }
    gracePeriod: 1h
    secret: { id: prod/gateway }
`,
  );

let policies: ReadonlyMap<string, PolicyConfig>;
const policy = (id: string): PolicyConfig => {
  const found = policies.get(id);
  if (!found) throw new Error(`no policy ${id} in the test config`);
  return found;
};

beforeAll(async () => {
  const loaded = await load(yaml, { env: { ...env, TAGO_TOKEN: 'p-test-token' } });
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  policies = new Map(loaded.config.policies.map((candidate) => [candidate.id, candidate]));
});

const ref = (versionId: string, extra: Partial<CredentialRef> = {}): CredentialRef => ({
  runId: `gateway-m${versionId.slice(0, 1)}`,
  handle: `handle-${versionId.slice(0, 8)}`,
  versionId,
  ...extra,
});

/** The overlap policy's record after two rotations: V2 current, V1 previous (unless overridden). */
const record = (overrides: Partial<PolicyRecord> = {}): PolicyRecord => ({
  policyId: 'gateway',
  revision: 7,
  consecutiveFailures: 0,
  current: ref(V2),
  previous: ref(V1, { expiresAt: NOW + HOUR_MS }),
  lastSuccessAt: NOW - HOUR_MS,
  ...overrides,
});

describe('rollbackRefusal', () => {
  it('lets a rollback of an overlap policy with a live, unexpired previous version go on to the checks at AWS and the vendor', () => {
    expect(policy('gateway').capability).toBe('overlap');

    expect(rollbackRefusal(policy('gateway'), record(), NOW)).toBeUndefined();
    expect(rollbackRefusal(policy('gateway'), record(), NOW, V2)).toBeUndefined();
    expect(
      rollbackRefusal(policy('gateway'), record({ previous: ref(V1) }), NOW),
      'a previous version without an expiry never expires',
    ).toBeUndefined();
  });

  it('refuses a native-grace action, naming the vendor keeping one previous secret that dies at its expiry and at the next rotation', () => {
    const ciRunner = policy('ci-runner');
    expect(ciRunner.capability).toBe('native-grace');

    const reason = rollbackRefusal(ciRunner, record({ policyId: 'ci-runner' }), NOW);

    expect(reason).toContain('policy ci-runner');
    expect(reason).toContain('action rotate');
    expect(reason).toMatch(/vendor keeps one previous secret/);
    expect(reason).toMatch(/dies at the expiry set when it was issued and at the next rotation/);
    expect(reason).toMatch(/guarantees an outage/);
  });

  it('refuses an extend action: there is no earlier credential to go back to', () => {
    const extended = policy('extended');
    expect(extended.capability).toBe('extend');

    const reason = rollbackRefusal(extended, record({ policyId: 'extended' }), NOW);

    expect(reason).toContain('policy extended');
    expect(reason).toContain('action refresh');
    expect(reason).toMatch(/no earlier credential to go back to/);
  });

  it('refuses a policy whose record holds no rotation yet', () => {
    const reason = rollbackRefusal(
      policy('gateway'),
      record({ current: undefined, previous: undefined }),
      NOW,
    );

    expect(reason).toMatch(/no previous version of secret prod\/gateway to go back to/);
    expect(reason).toMatch(/no rotation yet/);
  });

  it('refuses a policy whose record holds only the current credential', () => {
    const reason = rollbackRefusal(policy('gateway'), record({ previous: undefined }), NOW);

    expect(reason).toMatch(/no previous version of secret prod\/gateway to go back to/);
    expect(reason).toMatch(/only the current credential/);
  });

  it('refuses a request whose expected current version is no longer current: the policy rotated since', () => {
    const reason = rollbackRefusal(
      policy('gateway'),
      record({ current: ref(V3), previous: ref(V2) }),
      NOW,
      V2,
    );

    expect(reason).toMatch(/rotated since the rollback was asked for/);
    expect(reason).toContain(`AWSCURRENT was version ${V2}, it is ${V3} now`);
    expect(reason).toMatch(/this rollback rolls nothing back/);
  });

  it('refuses to go back to the version the last rollback took out of use: it is never promoted again', () => {
    // After a rollback from V2 to V1, V2 is the previous version and the rollback's mark names it.
    const afterRollback = record({
      current: ref(V1),
      previous: ref(V2),
      rolledBack: {
        versionId: V2,
        handle: ref(V2).handle,
        runId: 'gateway-r1764590400000',
        at: NOW - 60_000,
      },
    });

    const reason = rollbackRefusal(policy('gateway'), afterRollback, NOW);

    expect(reason).toContain(`version ${V2} is the one the last rollback took out of use`);
    expect(reason).toMatch(/never promoted again/);
  });

  it('lets a rollback go on when the rollback mark names another version than the previous one', () => {
    const marked = record({
      rolledBack: { versionId: V3, handle: ref(V3).handle, runId: 'gateway-r1', at: NOW - 60_000 },
    });

    expect(rollbackRefusal(policy('gateway'), marked, NOW)).toBeUndefined();
  });

  it('refuses a previous credential that expired, naming the version and when; one expiring at this very moment counts as expired', () => {
    const expiredAt = NOW - 1;
    const expired = rollbackRefusal(
      policy('gateway'),
      record({ previous: ref(V1, { expiresAt: expiredAt }) }),
      NOW,
    );
    const expiringNow = rollbackRefusal(
      policy('gateway'),
      record({ previous: ref(V1, { expiresAt: NOW }) }),
      NOW,
    );

    expect(expired).toBe(
      `policy gateway: the previous credential (version ${V1}) expired at ${new Date(expiredAt).toISOString()}`,
    );
    expect(expiringNow).toMatch(/expired at/);
  });

  it('names the capability refusal before any record problem: a native-grace policy is refused even with no record', () => {
    const reason = rollbackRefusal(
      policy('ci-runner'),
      { policyId: 'ci-runner', revision: 0, consecutiveFailures: 0 },
      NOW,
    );

    expect(reason).toMatch(/guarantees an outage/);
  });
});
