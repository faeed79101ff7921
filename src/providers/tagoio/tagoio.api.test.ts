import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { TagoioServiceAuthApi } from './tagoio.api.js';
import { type RunningTagoioEmulator, startTagoioEmulator } from './tagoio.emulator.js';

let emulator: RunningTagoioEmulator;
beforeAll(async () => {
  emulator = await startTagoioEmulator();
});
afterAll(() => emulator.server.close());
beforeEach(() => emulator.server.faults.clear());

const api = (token = emulator.token, timeoutMs = 2_000) =>
  new TagoioServiceAuthApi(
    { baseUrl: emulator.server.origin, token: Secret.of(token) },
    stepContext(systemClock, timeoutMs),
  );
const create = () =>
  api().create({ name: 'svc', permission: 'full', expireTime: 'never', verificationCode: undefined });

describe("rotor's TagoIO client", () => {
  it('creates, lists by name across pages, and deletes; a second delete reports the token gone', async () => {
    const created = await create();
    for (let i = 0; i < 120; i++)
      emulator.store.create({ name: 'bulk', permission: 'read', expireTime: 'never' });

    expect((await api().list('svc')).map((token) => token.token)).toEqual([created.token]);
    expect(await api().list('bulk')).toHaveLength(120);
    expect(await api().delete(created.token)).toBe(true);
    expect(await api().delete(created.token)).toBe(false);
  });

  it('classifies a wrong profile token as auth, with TagoIO’s message', async () => {
    const error = await rotationFailure(api('p-wrong').list());
    expect(error).toMatchObject({ kind: 'auth', details: { status: 401 } });
    expect(error.message).toMatch(/Invalid authorization token/);
  });

  it.each([
    ['a 503', { kind: 'status', status: 503 } as const, 'transient'],
    ['a 429 with Retry-After', { kind: 'rate-limit', retryAfterSeconds: 60 } as const, 'rate-limited'],
    ['a 403', { kind: 'status', status: 403 } as const, 'auth'],
    ['a 400', { kind: 'status', status: 400 } as const, 'invalid-config'],
    ['a malformed body', { kind: 'malformed' } as const, 'protocol'],
    ['a dropped connection', { kind: 'drop' } as const, 'transient'],
  ])('classifies %s', async (_name, fault, kind) => {
    emulator.server.faults.add({ route: 'createServiceAuth', fault, times: 1 });
    const error = await rotationFailure(create());
    expect(error.kind).toBe(kind);
    if (kind === 'rate-limited') expect(error.details.retryAfterMs).toBe(60_000);
  });

  it('classifies a response slower than the deadline as transient', async () => {
    emulator.server.faults.add({
      route: 'listServiceAuth',
      fault: { kind: 'delay', delayMs: 500 },
      times: 1,
    });
    expect((await rotationFailure(api(emulator.token, 100).list())).kind).toBe('transient');
  });

  it('never puts a token value in an error message', async () => {
    const created = await create();
    emulator.server.faults.add({
      route: 'deleteServiceAuth',
      fault: { kind: 'status', status: 500 },
      times: 1,
    });
    const error = await rotationFailure(api().delete(created.token));
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(created.token);
  });
});
