import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepContext } from '../../../test/support/step-context.js';
import { isRotationError } from '../../domain/errors.js';
import { fingerprint } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { type RunningTelenorEmulator, startTelenorEmulator } from './telenor.emulator.js';
import type { TelenorCredential } from './telenor.schemas.js';
import { createToken, deleteToken, preflightTokens, verifyToken } from './telenor.steps.js';

let emulator: RunningTelenorEmulator;
let connection: { baseUrl: string; session: Secret<string> };
beforeAll(async () => {
  emulator = await startTelenorEmulator();
  connection = { baseUrl: emulator.server.origin, session: Secret.of(emulator.session) };
});
afterAll(() => emulator.server.close());

const ctx = () => stepContext(systemClock);
const issue = (target: object, current?: TelenorCredential) =>
  createToken(
    { connection, target, current: current === undefined ? undefined : Secret.of(current), gracePeriodMs: 0 },
    ctx(),
  );

describe('Telenor steps', () => {
  it('first run: creates the token from the configured resource and write, tagged as rotor’s', async () => {
    const issued = await issue({ resource: '/collections/9', write: true, tags: { team: 'iot' } });
    const credential = issued.credential.reveal();

    expect(credential).toMatchObject({ resource: '/collections/9', write: true });
    expect(credential.tags).toEqual({
      team: 'iot',
      'managed-by': 'rotor',
      policy: 'test-policy',
      run: 'test-policy-1',
    });
    expect(issued.handle).toBe(fingerprint(credential.token));
    expect(emulator.store.exists(credential.token)).toBe(true);
  });

  it('later runs copy resource, write and tags from the current token', async () => {
    const current = emulator.store.create({ resource: '/teams/4', write: false, tags: { owner: 'ops' } });
    const issued = await issue({}, { token: current.token, resource: '/', write: true, tags: {} });

    expect(issued.credential.reveal()).toMatchObject({ resource: '/teams/4', write: false });
    expect(issued.credential.reveal().tags).toMatchObject({ owner: 'ops', 'managed-by': 'rotor' });
  });

  it('refuses a first run without resource and write as invalid config', async () => {
    const error = await issue({}).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isRotationError(error) && error.kind).toBe('invalid-config');
  });

  it('verifies a new token against GET /, including a restricted one (403)', async () => {
    const restricted = (await issue({ resource: '/teams/1', write: false })).credential;
    expect(
      await verifyToken(
        { connection, target: {}, credential: restricted, handle: '', settings: undefined },
        ctx(),
      ),
    ).toEqual({
      kind: 'end-to-end',
    });
    const unknown = Secret.of({ token: 'a'.repeat(64), resource: '/', write: false, tags: {} });
    const error = await verifyToken(
      { connection, target: {}, credential: unknown, handle: '', settings: undefined },
      ctx(),
    ).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isRotationError(error) && error.kind).toBe('auth');
  });

  it('deletes the displaced token; deleting it again is already-gone', async () => {
    const displaced = (await issue({ resource: '/', write: false })).credential;
    const handle = fingerprint(displaced.reveal().token);
    const revoke = () => deleteToken({ connection, target: {}, handle, credential: displaced }, ctx());

    expect(await revoke()).toBe('revoked');
    expect(await revoke()).toBe('already-gone');
  });

  it('refuses to delete when the version read back from AWS holds another token', async () => {
    const displaced = (await issue({ resource: '/', write: false })).credential;
    const error = await deleteToken(
      { connection, target: {}, handle: 'sha256:other', credential: displaced },
      ctx(),
    ).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isRotationError(error) && error.kind).toBe('protocol');
    expect(emulator.store.exists(displaced.reveal().token)).toBe(true);
  });

  it('preflight lists tokens with the session', async () => {
    await expect(preflightTokens({ connection, target: {} }, ctx())).resolves.toBeUndefined();
  });
});
