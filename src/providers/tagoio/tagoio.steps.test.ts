import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotationFailure } from '../../../test/support/rotation-failure.js';
import { stepContext } from '../../../test/support/step-context.js';
import { fingerprint } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import { type RunningTagoioEmulator, startTagoioEmulator } from './tagoio.emulator.js';
import type { TagoioCredential, TagoioTarget } from './tagoio.schemas.js';
import {
  createServiceToken,
  deleteServiceToken,
  listRotorServiceTokens,
  preflightServiceAuth,
  verifyServiceToken,
} from './tagoio.steps.js';
import { parseRotorTokenName, rotorTokenName } from './tagoio.token-name.js';

let emulator: RunningTagoioEmulator;
let connection: { baseUrl: string; token: Secret<string> };
const now = Date.parse('2026-11-24T12:00:00Z');
const ctx = () => stepContext({ now: () => now });

beforeAll(async () => {
  emulator = await startTagoioEmulator();
  connection = { baseUrl: emulator.server.origin, token: Secret.of(emulator.token) };
});
afterAll(() => emulator.server.close());
beforeEach(() => {
  emulator.server.faults.clear();
  for (const entry of emulator.store.list()) emulator.store.delete(entry.token);
});

const target = (extra: Partial<TagoioTarget> = {}): TagoioTarget => ({
  name: 'gateway',
  permission: 'write',
  expireTime: 'never',
  ...extra,
});
const issue = (t: TagoioTarget, current?: TagoioCredential, context = ctx()) =>
  createServiceToken(
    {
      connection,
      target: t,
      current: current && Secret.of(current),
      gracePeriodMs: 0,
    },
    context,
  );
const verify = (credential: Secret<TagoioCredential>) =>
  verifyServiceToken(
    {
      connection,
      target: target(),
      credential,
      handle: fingerprint(credential.reveal().token),
      settings: undefined,
    },
    ctx(),
  );
const revoke = (credential: TagoioCredential, conn = connection) =>
  deleteServiceToken(
    {
      connection: conn,
      target: target(),
      handle: fingerprint(credential.token),
      credential: Secret.of(credential),
    },
    ctx(),
  );
/** A token made at the emulator as an operator (or an earlier rotor run) would have made it. */
const seed = (name: string, extra: { permission?: string; expireTime?: string } = {}): TagoioCredential => {
  const made = emulator.store.create({
    name,
    permission: extra.permission ?? 'write',
    expireTime: extra.expireTime ?? 'never',
  });
  return { token: made.token, name: made.name, permission: made.permission, expireTime: null };
};

describe('TagoIO issue', () => {
  it('on a first run (no current token) creates a token named for the policy and run, with its permission and expiry', async () => {
    const issued = await issue(target({ expireTime: 90 * 86_400_000, verificationCode: 'mw-1' }));
    const credential = issued.credential.reveal();

    expect(credential.name).toBe('gateway rotor:test-policy:test-policy-1');
    expect(credential).toMatchObject({ permission: 'write', expireTime: '2027-02-22T12:00:00.000Z' });
    expect(issued.expiresAt?.toISOString()).toBe('2027-02-22T12:00:00.000Z');
    expect(issued.handle).toBe(fingerprint(credential.token));
    expect(emulator.store.find(credential.token)).toMatchObject({
      verificationCode: 'mw-1',
      permission: 'write',
      expireTime: '2027-02-22T12:00:00.000Z',
    });
    expect(String(issued.credential)).toBe('[secret]');
  });

  it('on a later run creates a second token and leaves the current one working (overlap)', async () => {
    const current = seed('gateway rotor:test-policy:test-policy-0');
    const context = ctx();
    const issued = await issue(target({ permission: 'read' }), current, context);
    const credential = issued.credential.reveal();

    expect(credential.token).not.toBe(current.token);
    expect(credential).toMatchObject({ permission: 'read', expireTime: null });
    expect(issued.expiresAt).toBeUndefined();
    expect(emulator.store.exists(current.token)).toBe(true);
    expect(emulator.store.exists(credential.token)).toBe(true);
    const log = context.logText();
    expect(log).toContain(fingerprint(current.token));
    expect(log).not.toContain(current.token);
    expect(log).not.toContain(credential.token);
  });

  it('creates nothing when TagoIO refuses, and says why without token values', async () => {
    emulator.server.faults.add({
      route: 'createServiceAuth',
      fault: { kind: 'status', status: 403 },
      times: 1,
    });
    const error = await rotationFailure(issue(target()));
    expect(error.kind).toBe('auth');
    expect(error.message).not.toContain(emulator.token);
    expect(emulator.store.list()).toEqual([]);
  });
});

describe('TagoIO verify', () => {
  it('is a metadata check: TagoIO lists the new token with its name and permission', async () => {
    const { credential } = await issue(target());
    const outcome = await verify(credential);
    expect(outcome.kind).toBe('metadata');
    expect(outcome.kind === 'metadata' && outcome.reason).toMatch(/cannot call the TagoIO API/);
  });

  it('fails when TagoIO does not list the token, lists another permission, or lists it expired', async () => {
    const { credential } = await issue(target());
    emulator.store.delete(credential.reveal().token);
    expect((await rotationFailure(verify(credential))).kind).toBe('not-found');

    const other = seed('gateway other', { permission: 'read' });
    const wrongPermission = await rotationFailure(verify(Secret.of({ ...other, permission: 'write' })));
    expect(wrongPermission.kind).toBe('protocol');
    expect(wrongPermission.message).toMatch(/permission read, expected write/);

    const expired = seed('gateway old', { expireTime: '2026-11-01T00:00:00.000Z' });
    expect((await rotationFailure(verify(Secret.of(expired)))).kind).toBe('auth');
  });

  it('passes a transient failure of the list on to be retried', async () => {
    const { credential } = await issue(target());
    emulator.server.faults.add({
      route: 'listServiceAuth',
      fault: { kind: 'status', status: 503 },
      times: 1,
    });
    expect((await rotationFailure(verify(credential))).kind).toBe('transient');
  });
});

describe('TagoIO revoke', () => {
  it('deletes the displaced token; again is already-gone', async () => {
    const displaced = seed('gateway rotor:test-policy:test-policy-0');
    expect(await revoke(displaced)).toBe('revoked');
    expect(emulator.store.exists(displaced.token)).toBe(false);
    expect(await revoke(displaced)).toBe('already-gone');
  });

  it('refuses a version that does not hold the displaced credential, or none at all', async () => {
    const displaced = seed('gateway');
    const mismatch = await rotationFailure(
      deleteServiceToken(
        { connection, target: target(), handle: 'sha256:other', credential: Secret.of(displaced) },
        ctx(),
      ),
    );
    expect(mismatch.kind).toBe('protocol');
    const missing = await rotationFailure(
      deleteServiceToken(
        { connection, target: target(), handle: fingerprint(displaced.token), credential: undefined },
        ctx(),
      ),
    );
    expect(missing.kind).toBe('protocol');
    expect(emulator.store.exists(displaced.token)).toBe(true);
  });

  it('never reads a 404 as gone while the token is still there', async () => {
    const displaced = seed('gateway');
    // TagoIO's own 404 body, yet TagoIO still lists the token: not gone.
    emulator.server.faults.add({
      route: 'deleteServiceAuth',
      fault: { kind: 'status', status: 404 },
      times: 1,
    });
    expect((await rotationFailure(revoke(displaced))).kind).toBe('protocol');
    // A base URL that reaches no TagoIO API: a configuration error.
    const wrongUrl = { ...connection, baseUrl: `${emulator.server.origin}/v9` };
    expect((await rotationFailure(revoke(displaced, wrongUrl))).kind).toBe('invalid-config');
    expect(emulator.store.exists(displaced.token)).toBe(true);
  });

  it('retries later when TagoIO fails or throttles', async () => {
    const displaced = seed('gateway');
    emulator.server.faults.add({
      route: 'deleteServiceAuth',
      fault: { kind: 'rate-limit', retryAfterSeconds: 5 },
      times: 1,
    });
    expect(await rotationFailure(revoke(displaced))).toMatchObject({
      kind: 'rate-limited',
      details: { retryAfterMs: 5_000 },
    });
    expect(await revoke(displaced)).toBe('revoked');
  });
});

describe('TagoIO preflight and listing', () => {
  it('preflight lists with the profile token; a wrong one is an auth failure', async () => {
    await expect(preflightServiceAuth({ connection, target: target() }, ctx())).resolves.toBeUndefined();
    const wrong = { ...connection, token: Secret.of('p-wrong') };
    expect(
      (await rotationFailure(preflightServiceAuth({ connection: wrong, target: target() }, ctx()))).kind,
    ).toBe('auth');
  });

  it('lists the tokens rotor made for this policy, with their runs, and nobody else’s', async () => {
    const mine = seed(rotorTokenName('gateway', 'test-policy', 'test-policy-m1767225600000'), {
      expireTime: '2027-01-01T00:00:00.000Z',
    });
    seed(rotorTokenName('gateway', 'other-policy', 'other-policy-1767225600000'));
    seed('gateway');
    seed('gateway rotor:test-policy:forged-run');

    const listed = await listRotorServiceTokens({ connection, target: target() }, ctx());
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ handle: fingerprint(mine.token), runId: 'test-policy-m1767225600000' });
    expect(listed[0]?.credential.reveal()).toEqual({
      ...mine,
      expireTime: '2027-01-01T00:00:00.000Z',
    });
  });
});

describe('rotor’s token names', () => {
  it('round-trips through the parser, even when the target’s name looks like a marker', () => {
    for (const [name, policyId, runId] of [
      ['my gateway', 'p-1', 'p-1-m17'],
      ['plain', 'gw', 'gw-1767225600000'],
      ['odd rotor:x:y name', 'gw', 'gw-m1'],
      ['', 'gw', 'gw-1'],
    ] as const) {
      expect(parseRotorTokenName(rotorTokenName(name, policyId, runId))).toEqual({ name, policyId, runId });
    }
  });

  it('recognises only names rotor writes', () => {
    for (const name of [
      'plain gateway',
      'gateway rotor:Not Ours',
      'gateway rotor:gw:other-1',
      'gateway rotor:gw:gw-1:extra',
      'gateway rotor:gw',
      'gatewayrotor:gw:gw-1',
    ])
      expect(parseRotorTokenName(name)).toBeUndefined();
  });
});
