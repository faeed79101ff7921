import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { TelenorTokensApi } from './telenor.api.js';
import { type RunningTelenorEmulator, startTelenorEmulator } from './telenor.emulator.js';

let emulator: RunningTelenorEmulator;
beforeAll(async () => {
  emulator = await startTelenorEmulator();
});
afterAll(() => emulator.server.close());
beforeEach(() => emulator.server.faults.clear());

const api = (
  connection: { session?: string; apiToken?: string } = { session: emulator.session },
  timeoutMs = 2_000,
) =>
  new TelenorTokensApi(
    {
      baseUrl: emulator.server.origin,
      ...(connection.session === undefined ? {} : { session: Secret.of(connection.session) }),
      ...(connection.apiToken === undefined ? {} : { apiToken: Secret.of(connection.apiToken) }),
    },
    stepContext(systemClock, timeoutMs),
  );

describe("rotor's Telenor client", () => {
  it('creates, reads, lists and deletes tokens; a second delete reports the token gone', async () => {
    const created = await api().create({ resource: '/', write: false, tags: { policy: 'p' } });
    expect((await api().get(created.token)).tags).toEqual({ policy: 'p' });
    expect((await api().list()).map((token) => token.token)).toContain(created.token);
    expect(await api().ping(created.token)).toBe('accepted');
    expect(await api().delete(created.token)).toBe(true);
    expect(await api().delete(created.token)).toBe(false);
    expect(await api().ping(created.token)).toBe('refused');
  });

  it('explains the CONNECT ID session rule when /tokens refuses an API token', async () => {
    const error = await rotationFailure(api({ apiToken: emulator.apiToken }).list());
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/HTTP 403/);
    expect(error.message).toMatch(/only from a CONNECT ID login session/);
    expect(error.message).toMatch(/sessions expire and rotor cannot renew them/);
  });

  it.each([
    ['a 503', { kind: 'status', status: 503 } as const, 'transient'],
    ['a 500', { kind: 'status', status: 500 } as const, 'transient'],
    ['a 429 with Retry-After', { kind: 'rate-limit', retryAfterSeconds: 7 } as const, 'rate-limited'],
    ['a 401', { kind: 'status', status: 401 } as const, 'auth'],
    ['a malformed body', { kind: 'malformed' } as const, 'protocol'],
    ['a dropped connection', { kind: 'drop' } as const, 'transient'],
  ])('classifies %s', async (_name, fault, kind) => {
    emulator.server.faults.add({ route: 'createToken', fault, times: 1 });
    const error = await rotationFailure(api().create({ resource: '/', write: false, tags: {} }));
    expect(error.kind).toBe(kind);
    if (kind === 'rate-limited') expect(error.details.retryAfterMs).toBe(7_000);
  });

  it('classifies a response slower than the deadline as transient', async () => {
    emulator.server.faults.add({ route: 'listTokens', fault: { kind: 'delay', delayMs: 500 }, times: 1 });
    expect((await rotationFailure(api({ session: emulator.session }, 100).list())).kind).toBe('transient');
  });

  it('never puts a token value in an error message', async () => {
    const created = await api().create({ resource: '/', write: true, tags: {} });
    emulator.server.faults.add({ route: 'deleteToken', fault: { kind: 'status', status: 500 }, times: 1 });
    const error = await rotationFailure(api().delete(created.token));
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(created.token);
    expect(error.message).toMatch(/^telenor delete token failed with HTTP 500/);
  });
});
