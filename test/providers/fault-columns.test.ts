import { randomUUID } from 'node:crypto';
import { Moov } from '@moovio/sdk';
import { Resources } from '@tago-io/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config/rotor-config.js';
import { rotorTokenName } from '../../src/providers/tagoio/tagoio.token-name.js';
import { AwsSecrets } from '../support/aws-secrets.js';
import type { ProviderFixture } from '../support/provider-fixture.js';
import { type ProviderWorld, startProviderWorld } from '../support/provider-world.js';
import { measureOutcome } from '../support/suite-outcome.js';
import { startMoovFixture } from './moov.fixture.js';
import { startTagoioFixture } from './tagoio.fixture.js';
import { startTelenorFixture } from './telenor.fixture.js';

/** A world with one policy of its provider (a long grace) and the official AWS SDK on its AWS. */
async function openWorld(start: () => Promise<ProviderFixture>) {
  const world = await startProviderWorld(start);
  const config = await world.config([await world.policy('measured', { gracePeriod: '10m' })]);
  const policy = config.policies[0] as PolicyConfig;
  const aws = new AwsSecrets(world.aws.client);
  /** Stores credentials as successive AWSCURRENT versions of the policy's secret, as rotations would. */
  const store = async (...credentials: unknown[]) => {
    for (const credential of credentials) {
      if ((await aws.versions(policy.secret.id)).length === 0) {
        world.aws.store.create({
          name: policy.secret.id,
          tags: new Map(),
          clientRequestToken: randomUUID(),
          value: { kind: 'string', text: JSON.stringify(credential) },
        });
      } else {
        await aws.put(policy.secret.id, credential, ['AWSCURRENT']);
      }
    }
  };
  const measure = () => measureOutcome({ world, aws, policies: [policy], texts: [] });
  const close = async () => {
    aws.close();
    await world.close();
  };
  return { world, policy, store, measure, close };
}

let opened: Awaited<ReturnType<typeof openWorld>> | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

const sdkOrigin = (world: ProviderWorld) => world.fixture.server.origin;
/** The official Moov client on the world's emulator, with the connection's keys. */
const moovClient = (world: ProviderWorld) =>
  new Moov({
    security: {
      username: world.env.FIXTURE_MOOV_PUBLIC_KEY ?? '',
      password: world.env.FIXTURE_MOOV_SECRET_KEY ?? '',
    },
    serverURL: sdkOrigin(world),
  });

describe('the fault summary on Moov', () => {
  it('counts a pair issued but not stored as left live while either of its tokens is, the refresh token alone included', async () => {
    opened = await openWorld(startMoovFixture);
    const { world, store, measure } = opened;
    const moov = moovClient(world);
    const mint = async () => {
      const { result } = await moov.authentication.createAccessToken({
        grantType: 'client_credentials',
        scope: '/accounts.read /ping.read',
      });
      return { access_token: result.accessToken, refresh_token: result.refreshToken, scope: result.scope };
    };
    const [displaced, current, orphan] = [await mint(), await mint(), await mint()];
    await store(displaced, current);

    const before = await measure();
    // The displaced pair is within its grace; the orphan is live beyond what the policy holds.
    expect(before.lost).toEqual([]);
    expect(before.extraLive).toHaveLength(1);

    await moov.authentication.revokeAccessToken({ token: orphan.access_token });
    const refreshOnly = await measure();
    expect(refreshOnly.extraLive).toEqual(before.extraLive);

    await moov.authentication.revokeAccessToken({ token: orphan.refresh_token });
    expect((await measure()).extraLive).toEqual([]);
  });

  it('counts AWSCURRENT lost when its refresh token is no longer live, though /ping still takes its access token', async () => {
    opened = await openWorld(startMoovFixture);
    const { world, store, measure } = opened;
    const moov = moovClient(world);
    const { result } = await moov.authentication.createAccessToken({
      grantType: 'client_credentials',
      scope: '/accounts.read /ping.read',
    });
    await store({
      access_token: result.accessToken,
      refresh_token: result.refreshToken,
      scope: result.scope,
    });
    expect((await measure()).lost).toEqual([]);

    await moov.authentication.revokeAccessToken({ token: result.refreshToken });

    const measured = await measure();
    expect(measured.lost).toEqual([expect.stringMatching(/^measured: the vendor refuses AWSCURRENT/)]);
    expect(measured.columns.credentialsLost).toBe(1);
  });
});

describe('the fault summary on TagoIO', () => {
  it('counts a token accepted only while TagoIO lists it under its name, with its permission, unexpired', async () => {
    opened = await openWorld(startTagoioFixture);
    const { world, policy, store, measure } = opened;
    const origin = sdkOrigin(world);
    const tagoio = new Resources({
      token: world.env.FIXTURE_TAGOIO_TOKEN ?? '',
      region: { api: origin, sse: origin },
    });
    const name = rotorTokenName('measured gateway', policy.id, 'run-1');
    const { token } = await tagoio.serviceAuthorization.tokenCreate({ name, permission: 'write' });

    await store({ token, name, permission: 'read', expireTime: null });
    expect((await measure()).lost).toEqual([expect.stringMatching(/refuses AWSCURRENT/)]);

    await store({ token, name, permission: 'write', expireTime: null });
    expect((await measure()).lost).toEqual([]);

    await tagoio.serviceAuthorization.tokenDelete(token);
    expect((await measure()).lost).toEqual([expect.stringMatching(/refuses AWSCURRENT/)]);
  });
});

describe('the fault summary on Telenor', () => {
  it('counts a token accepted while GET / with it does not answer 401, and cannot tell while the vendor fails', async () => {
    opened = await openWorld(startTelenorFixture);
    const { world } = opened;
    const fixture = world.fixture;
    const made = await fixture.plantRotorCredential?.('measured', 'run-1');

    expect(await fixture.accepts(made)).toBe(true);
    expect(await fixture.accepts({ ...(made as object), token: 'not-a-token' })).toBe(false);
    fixture.server.faults.add({ route: 'ping', fault: { kind: 'status', status: 503 }, times: 1 });
    await expect(fixture.accepts(made)).rejects.toThrow(/503/);
  });
});
