import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/free-port.js';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { TelenorTokensApi } from './telenor.api.js';
import { startTelenorDemo } from './telenor.demo.js';
import { preflightTokens } from './telenor.steps.js';

describe('the Telenor demo', () => {
  it('serves the connection’s URL, admits its own session and holds a token per policy', async () => {
    const connection = {
      baseUrl: `http://127.0.0.1:${await freePort()}`,
      session: Secret.of('horde_session=demo-session'),
    };
    const demo = await startTelenorDemo(connection, [
      { id: 'iot', target: { resource: '/collections/demo', write: false } },
      { id: 'admin', target: {} },
    ]);
    try {
      expect(demo.description).toContain(connection.baseUrl);
      await expect(
        preflightTokens({ connection, target: {} }, stepContext(systemClock)),
      ).resolves.toBeUndefined();

      const iot = demo.credentialOf('iot');
      expect(iot).toMatchObject({ resource: '/collections/demo', write: false, tags: { name: 'iot' } });
      expect(demo.credentialOf('admin')).toMatchObject({ resource: '/', write: false });
      const api = new TelenorTokensApi(connection, stepContext(systemClock));
      expect((await api.get(iot.token)).resource).toBe('/collections/demo');
      expect(await api.ping(iot.token)).toBe('accepted');
      expect(() => demo.credentialOf('nope')).toThrow(/no token for policy nope/);
    } finally {
      await demo.close();
    }
  });
});
