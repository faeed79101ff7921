import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_QUEUE } from '../../src/alerts/alert-jobs.js';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { requestRotation } from '../../src/queue/rotation-requests.js';
import { eventually } from '../support/eventually.js';
import { type EveryProviderScene, openEveryProviderScene } from '../support/every-provider-scene.js';
import { finishedJob } from '../support/finished-job.js';
import { leaksIn } from '../support/redis.js';

let every: EveryProviderScene;

beforeAll(async () => {
  every = await openEveryProviderScene({
    gracePeriod: '300ms',
    retry: '{ attempts: 1, needsAttentionAfter: 1 }',
  });
}, 120_000);

afterAll(async () => {
  await every?.scene.close();
});

describe('alert webhooks', () => {
  it('carry no secret value of any provider, in any encoding: succeeded, failed, needs-attention and revocation-failed alerts', {
    timeout: 120_000,
  }, async () => {
    const { scene, policies } = every;
    const overlap = policies.filter((policy) => scene.fixtureOf(policy).revokeRoute !== undefined);
    const firstAlert = scene.receiver.received.length;
    async function rotation(policy: PolicyConfig): Promise<string | undefined> {
      const { jobId } = await requestRotation(scene.infra.queue, policy, 'manual', { nowMs: Date.now() });
      return (await finishedJob(scene.infra.queue, jobId)).getState();
    }

    await Promise.all(
      policies.map(async (policy) => {
        const fixture = scene.fixtureOf(policy);
        expect(await rotation(policy)).toBe('completed');
        // The displaced credential's revoke, after the grace period, is refused for good.
        if (fixture.revokeRoute)
          fixture.server.faults.add({ route: fixture.revokeRoute, fault: { kind: 'status', status: 403 } });
        expect(await rotation(policy)).toBe('completed');
        fixture.server.faults.add({ route: fixture.issueRoute, fault: { kind: 'status', status: 401 } });
        expect(await rotation(policy)).toBe('failed');
      }),
    );
    const expected = {
      'rotation.succeeded': policies.length * 2,
      'rotation.failed': policies.length,
      'policy.needs_attention': policies.length,
      'revocation.failed': overlap.length,
    };
    await eventually('every alert raised to be delivered', () =>
      Object.entries(expected).every(([type, count]) => scene.alerts(type).length === count)
        ? true
        : undefined,
    );
    const alerts = new Queue(ALERT_QUEUE, {
      connection: scene.infra.queueConnection,
      prefix: scene.config.redis.prefix,
    });
    try {
      await eventually('every queued delivery to finish', async () => {
        const counts = await alerts.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((count) => count === 0) ? true : undefined;
      });
    } finally {
      await alerts.close();
    }

    // The scan means something: every provider issued credentials (their values are among the secrets) and
    // has its alerts among the bodies.
    for (const policy of policies) {
      expect(scene.fixtureOf(policy).liveIssued(), policy.id).toBeGreaterThan(0);
      const types = (scene.receiver.delivered() as { type: string; data: { policyId?: string } }[])
        .filter((alert) => alert.data.policyId === policy.id)
        .map((alert) => alert.type);
      expect(new Set(types), policy.id).toEqual(
        new Set(
          Object.keys(expected).filter((type) => type !== 'revocation.failed' || overlap.includes(policy)),
        ),
      );
    }
    const bodies = scene.receiver.received
      .slice(firstAlert)
      .map((alert, index): [string, string] => [`webhook body #${index}`, alert.body]);
    expect(leaksIn(every.secrets(), bodies)).toEqual([]);
  });
});
