import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/free-port.js';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { TagoioServiceAuthApi } from './tagoio.api.js';
import { startTagoioDemo } from './tagoio.demo.js';
import { preflightServiceAuth } from './tagoio.steps.js';

const target = { name: 'demo gateway', permission: 'write', expireTime: 'never' } as const;

describe('the TagoIO demo', () => {
  it('serves the connection’s URL, admits its own profile token and holds a token per policy', async () => {
    const connection = {
      baseUrl: `http://127.0.0.1:${await freePort()}`,
      token: Secret.of('p-demo-profile-token'),
    };
    const demo = await startTagoioDemo(connection, [
      { id: 'gateway', target },
      { id: 'reader', target: { ...target, name: 'reader', permission: 'read' } },
      { id: 'expiring', target: { ...target, name: 'expiring', expireTime: 86_400_000 } },
    ]);
    try {
      expect(demo.description).toContain(connection.baseUrl);
      const ctx = stepContext(systemClock);
      await expect(preflightServiceAuth({ connection, target }, ctx)).resolves.toBeUndefined();
      const stranger = { ...connection, token: Secret.of('p-someone-else') };
      expect((await rotationFailure(preflightServiceAuth({ connection: stranger, target }, ctx))).kind).toBe(
        'auth',
      );

      const gateway = demo.credentialOf('gateway');
      expect(gateway).toMatchObject({ name: 'demo gateway', permission: 'write', expireTime: null });
      expect(demo.credentialOf('reader')).toMatchObject({ name: 'reader', permission: 'read' });
      const expiring = demo.credentialOf('expiring');
      expect(Date.parse(expiring.expireTime ?? '')).toBeGreaterThan(Date.now() + 86_400_000 - 60_000);
      const listed = await new TagoioServiceAuthApi(connection, ctx).list('demo gateway');
      expect(listed.map((token) => token.token)).toEqual([gateway.token]);
      expect(() => demo.credentialOf('nope')).toThrow(/no token for policy nope/);
    } finally {
      await demo.close();
    }
  });

  it('refuses a connection it cannot serve (a region, not a local http:// URL)', async () => {
    await expect(
      startTagoioDemo({ region: 'eu-w1', token: Secret.of('p-x') }, [{ id: 'gateway', target }]),
    ).rejects.toThrow(/http:\/\/ with a port/);
  });
});
