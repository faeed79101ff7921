import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualRunId } from '../../src/domain/ids.js';
import { providerFixtures } from '../providers/all-fixtures.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import { type EngineWorld, openEngineWorld } from '../support/engine-world.js';
import { eventually } from '../support/eventually.js';
import { memoryLogger } from '../support/memory-log.js';

describe.each(providerFixtures)('%s: a run whose first issue answer never arrived', (_name, start) => {
  let engine: EngineWorld;
  const logged = memoryLogger();

  beforeAll(async () => {
    engine = await openEngineWorld(start, [{ id: 'adopting' }], logged.log);
  });

  afterAll(async () => {
    await engine?.close();
  });

  it('is retried under the same run: a vendor that lists what rotor made has its credential adopted and issues once; one that cannot issues again', async () => {
    const { fixture } = engine.world;
    const listable = fixture.plantRotorCredential !== undefined;
    const policy = engine.policy('adopting');
    const runId = manualRunId(policy.id, Date.now());
    const issues = () => fixture.server.calls.handled(fixture.issueRoute).length;
    const before = new Set(fixture.liveCredentials());
    fixture.server.faults.add({
      route: fixture.issueRoute,
      fault: { kind: 'hold-response', delayMs: 600_000 },
      times: 1,
    });

    // The vendor makes the credential; its answer is held until the attempt gives up.
    const attempt = new AbortController();
    const first = engine.rotate(policy.id, runId, attempt.signal);
    const madeSoFar = () => fixture.liveCredentials().filter((id) => !before.has(id));
    await eventually(
      'the vendor to have issued for the first attempt',
      () => madeSoFar().length === 1 || undefined,
    );
    attempt.abort();
    await expect(first).rejects.toMatchObject({ kind: 'transient' });
    const madeByFirstAttempt = madeSoFar();
    expect(issues()).toBe(1);

    await engine.rotate(policy.id, runId);

    const current = await new AwsSecrets(engine.world.aws.client).version(policy.secret.id, 'AWSCURRENT');
    const currentId = fixture.credentialId(current?.credential);
    expect(issues()).toBe(listable ? 1 : 2);
    if (listable) {
      expect(currentId).toBe(madeByFirstAttempt[0]);
      expect(logged.text()).toContain('an earlier attempt of this run issued a credential');
    } else {
      expect(currentId).not.toBe(madeByFirstAttempt[0]);
      expect(logged.text()).not.toContain('an earlier attempt of this run issued a credential');
    }
  });
});
