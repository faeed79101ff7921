import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/free-port.js';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { startMoovDemo } from './moov.demo.js';
import type { MoovTarget } from './moov.schemas.js';
import {
  issueWithClientCredentials,
  issueWithRefreshToken,
  preflightApiKey,
  verifyAccessToken,
} from './moov.steps.js';

const target = (scope: string): MoovTarget => ({
  scope,
  fallbackToClientCredentials: false,
  revokeRefreshToken: true,
});

describe('the Moov demo', () => {
  it('serves the connection’s URL, admits its own key, Origin and the policies’ scopes', async () => {
    const connection = {
      baseUrl: `http://127.0.0.1:${await freePort()}`,
      publicKey: Secret.of('pk_demo_public'),
      secretKey: Secret.of('sk_demo_secret'),
      moovVersion: 'v2026.07.00',
      origin: 'https://payments.example.com',
    };
    const payments = target('/accounts/acct-1/transfers.write /ping.read');
    const demo = await startMoovDemo(connection, [{ id: 'payments', target: payments }]);
    try {
      expect(demo.description).toContain(connection.baseUrl);
      const ctx = stepContext(systemClock);
      await expect(preflightApiKey({ connection, target: payments }, ctx)).resolves.toBeUndefined();

      const input = {
        connection,
        target: payments,
        current: undefined,
        gracePeriodMs: 0,
      };
      const minted = await issueWithClientCredentials(input, ctx);
      expect(minted.credential.reveal().scope).toBe(payments.scope);

      const stored = demo.credentialOf('payments');
      expect(stored.scope).toBe(payments.scope);
      const next = await issueWithRefreshToken({ ...input, current: Secret.of(stored) }, ctx);
      const verify = { connection, target: payments, handle: next.handle, settings: undefined };
      expect(await verifyAccessToken({ ...verify, credential: next.credential }, ctx)).toEqual({
        kind: 'end-to-end',
      });
      expect(() => demo.credentialOf('nope')).toThrow(/no policy nope/);
    } finally {
      await demo.close();
    }
  });
});
