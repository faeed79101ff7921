import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { fingerprint } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import { systemClock } from '../../lib/clock.js';
import { type RunningTelenorEmulator, startTelenorEmulator } from './telenor.emulator.js';
import type { TelenorCredential, TelenorTarget } from './telenor.schemas.js';
import { createToken, deleteToken, preflightTokens, verifyToken } from './telenor.steps.js';

let emulator: RunningTelenorEmulator;
let connection: { baseUrl: string; session: Secret<string> };
beforeAll(async () => {
  emulator = await startTelenorEmulator();
  connection = { baseUrl: emulator.server.origin, session: Secret.of(emulator.session) };
});
afterAll(() => emulator.server.close());

let runs = 0;
/** A step context of its own run, so tokens of one test never look like an earlier attempt of another's. */
const ctx = () => ({ ...stepContext(systemClock), runId: `test-policy-${++runs}` });
const creates = () => emulator.server.calls.handled('createToken').length;

const issue = (target: TelenorTarget, current?: TelenorCredential, context = ctx()) =>
  createToken(
    {
      connection,
      target,
      current: current === undefined ? undefined : Secret.of(current),
      gracePeriodMs: 0,
    },
    context,
  );
const stored = (token: string): TelenorCredential => {
  const found = emulator.store.find(token);
  if (!found) throw new Error('no such token');
  return { token, resource: found.resource, write: found.write, tags: { ...found.tags } };
};
const verify = (credential: TelenorCredential) =>
  verifyToken(
    {
      connection,
      target: {},
      credential: Secret.of(credential),
      handle: fingerprint(credential.token),
      settings: undefined,
    },
    ctx(),
  );

describe('Telenor issue', () => {
  it('first run: creates the token from the configured resource and write, tagged as rotor’s', async () => {
    const context = ctx();
    const before = creates();
    const issued = await issue(
      { resource: '/collections/9', write: true, tags: { team: 'iot' } },
      undefined,
      context,
    );
    const credential = issued.credential.reveal();

    expect(credential).toMatchObject({ resource: '/collections/9', write: true });
    expect(credential.tags).toEqual({
      team: 'iot',
      'managed-by': 'rotor',
      policy: 'test-policy',
      run: context.runId,
    });
    expect(issued.handle).toBe(fingerprint(credential.token));
    expect(issued.expiresAt).toBeUndefined();
    expect(creates()).toBe(before + 1);
    expect(stored(credential.token)).toEqual(credential);
    expect(String(issued.credential)).toBe('[secret]');
  });

  it('later runs copy resource, write and tags from the current token as Telenor has it', async () => {
    const current = emulator.store.create({
      resource: '/teams/4',
      write: false,
      tags: { owner: 'ops', 'managed-by': 'rotor', policy: 'test-policy', run: 'test-policy-old' },
    });
    // The copy in AWS may be stale; GET /tokens/{current} is the source.
    const issued = await issue({}, { token: current.token, resource: '/', write: true, tags: {} });

    const credential = issued.credential.reveal();
    expect(credential).toMatchObject({ resource: '/teams/4', write: false });
    expect(credential.tags).toMatchObject({ owner: 'ops', 'managed-by': 'rotor', policy: 'test-policy' });
    expect(credential.tags.run).not.toBe('test-policy-old');
    expect(credential.token).not.toBe(current.token);
  });

  it('later runs take what the policy sets over the current token', async () => {
    const current = emulator.store.create({ resource: '/teams/5', write: true, tags: { owner: 'ops' } });
    const issued = await issue({ write: false, tags: { owner: 'iot' } }, stored(current.token));

    expect(issued.credential.reveal()).toMatchObject({ resource: '/teams/5', write: false });
    expect(issued.credential.reveal().tags.owner).toBe('iot');
  });

  it('refuses a first run without resource and write as invalid config, creating nothing', async () => {
    const before = creates();
    const error = await rotationFailure(issue({ resource: '/collections/2' }));

    expect(error.kind).toBe('invalid-config');
    expect(error.message).toMatch(/first rotation has no current Telenor token/);
    expect(error.message).toMatch(/set target\.write in the policy/);
    expect(creates()).toBe(before);
  });

  it('goes on from the policy when the current token was deleted at Telenor, and says when it cannot', async () => {
    const gone = emulator.store.create({ resource: '/teams/6', write: false });
    emulator.store.delete(gone.token);
    const context = ctx();

    const issued = await issue({ resource: '/teams/6', write: false }, awsCopyOf(gone.token), context);
    expect(issued.credential.reveal()).toMatchObject({ resource: '/teams/6', write: false });
    expect(context.logText()).toMatch(/no longer exists/);
    expect(context.logText()).not.toContain(gone.token);

    const error = await rotationFailure(issue({}, awsCopyOf(gone.token)));
    expect(error.kind).toBe('invalid-config');
    expect(error.message).toMatch(/current Telenor token no longer exists/);
    expect(error.message).toMatch(/set target\.resource and target\.write/);
  });

  it('on a run’s first issue creates without listing the tokens first', async () => {
    const context = ctx();
    emulator.server.calls.clear();
    await issue({ resource: '/collections/9', write: false }, undefined, context);
    expect(emulator.server.calls.all().map((call) => call.routeId)).toEqual(['createToken']);
  });
});

describe('Telenor verify', () => {
  it('accepts a full-access token (GET / answers 200) end to end', async () => {
    const credential = (await issue({ resource: '/', write: true })).credential.reveal();
    expect(await verify(credential)).toEqual({ kind: 'end-to-end' });
  });

  it('accepts a restricted token (GET / answers 403) end to end', async () => {
    const credential = (await issue({ resource: '/teams/1', write: false })).credential.reveal();
    expect(await verify(credential)).toEqual({ kind: 'end-to-end' });
  });

  it('fails a token the API does not know (GET / answers 401) as auth', async () => {
    const error = await rotationFailure(
      verify({ token: 'a'.repeat(64), resource: '/', write: false, tags: {} }),
    );
    expect(error).toMatchObject({ kind: 'auth', details: { operation: 'check token', status: 401 } });
    expect(error.message).toMatch(/does not accept the new token/);
    expect(error.message).not.toContain('a'.repeat(64));
  });
});

describe('Telenor revoke', () => {
  it('deletes the displaced token; deleting it again is already-gone', async () => {
    const displaced = (await issue({ resource: '/', write: false })).credential;
    const handle = fingerprint(displaced.reveal().token);
    const revoke = () => deleteToken({ connection, target: {}, handle, credential: displaced }, ctx());

    expect(await revoke()).toBe('revoked');
    expect(emulator.store.exists(displaced.reveal().token)).toBe(false);
    expect(await revoke()).toBe('already-gone');
  });

  it('refuses to delete when the version read back from AWS holds another token', async () => {
    const displaced = (await issue({ resource: '/', write: false })).credential;
    const error = await rotationFailure(
      deleteToken({ connection, target: {}, handle: 'sha256:other', credential: displaced }, ctx()),
    );
    expect(error.kind).toBe('protocol');
    expect(emulator.store.exists(displaced.reveal().token)).toBe(true);
  });

  it('does not count a credential missing from AWS as already gone', async () => {
    const error = await rotationFailure(
      deleteToken({ connection, target: {}, handle: 'sha256:0123', credential: undefined }, ctx()),
    );
    expect(error.kind).toBe('protocol');
    expect(error.message).toMatch(/revoke it by hand/);
  });
});

describe('Telenor preflight', () => {
  it('lists tokens with the session', async () => {
    await expect(preflightTokens({ connection, target: {} }, ctx())).resolves.toBeUndefined();
  });

  it('fails as auth with the renewal explanation once the session has expired', async () => {
    const expiring = await startTelenorEmulator();
    try {
      expiring.expireSession();
      const error = await rotationFailure(
        preflightTokens(
          {
            connection: { baseUrl: expiring.server.origin, session: Secret.of(expiring.session) },
            target: {},
          },
          ctx(),
        ),
      );
      expect(error.kind).toBe('auth');
      expect(error.message).toMatch(/the session must be renewed/);
    } finally {
      await expiring.server.close();
    }
  });
});

/** What AWS would still hold for a token that Telenor no longer has. */
function awsCopyOf(token: string): TelenorCredential {
  return { token, resource: '/teams/6', write: false, tags: {} };
}
