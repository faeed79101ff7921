import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepContext } from '../../../test/support/step-context.js';
import { isRotationError } from '../../domain/errors.js';
import { fingerprint } from '../../domain/ids.js';
import { Secret } from '../../domain/secret.js';
import { type RunningTagoioEmulator, startTagoioEmulator } from './tagoio.emulator.js';
import type { TagoioTarget } from './tagoio.schemas.js';
import {
  createServiceToken,
  deleteServiceToken,
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

const target = (extra: Partial<TagoioTarget> = {}): TagoioTarget => ({
  name: 'gateway',
  permission: 'write',
  expireTime: 'never',
  ...extra,
});
const issue = (t: TagoioTarget) =>
  createServiceToken({ connection, target: t, current: undefined, gracePeriodMs: 0 }, ctx());

describe('TagoIO steps', () => {
  it('creates a token named for the policy and run, with its permission and expiry', async () => {
    const issued = await issue(target({ expireTime: 90 * 86_400_000, verificationCode: 'mw-1' }));
    const credential = issued.credential.reveal();

    expect(credential.name).toBe('gateway rotor:test-policy:test-policy-1');
    expect(credential).toMatchObject({ permission: 'write', expireTime: '2027-02-22T12:00:00.000Z' });
    expect(issued.expiresAt?.toISOString()).toBe('2027-02-22T12:00:00.000Z');
    expect(issued.handle).toBe(fingerprint(credential.token));
    expect(emulator.store.find(credential.token)).toMatchObject({
      verificationCode: 'mw-1',
      permission: 'write',
    });
  });

  it('verifies that TagoIO lists the new token with its name and permission', async () => {
    const { credential } = await issue(target());
    const verify = (c: typeof credential) =>
      verifyServiceToken(
        { connection, target: target(), credential: c, handle: '', settings: undefined },
        ctx(),
      );

    expect((await verify(credential)).kind).toBe('metadata');
    emulator.store.delete(credential.reveal().token);
    const error = await verify(credential).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isRotationError(error) && error.kind).toBe('not-found');
  });

  it('deletes the displaced token; again is already-gone; a mismatched version is refused', async () => {
    const { credential } = await issue(target());
    const handle = fingerprint(credential.reveal().token);
    const revoke = (h: string) =>
      deleteServiceToken({ connection, target: target(), handle: h, credential }, ctx());

    const mismatch = await revoke('sha256:other').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isRotationError(mismatch) && mismatch.kind).toBe('protocol');
    expect(await revoke(handle)).toBe('revoked');
    expect(await revoke(handle)).toBe('already-gone');
  });

  it('preflight lists with the profile token', async () => {
    await expect(preflightServiceAuth({ connection, target: target() }, ctx())).resolves.toBeUndefined();
  });

  it('recognises its own token names and nobody else’s', () => {
    expect(parseRotorTokenName(rotorTokenName('my gateway', 'p-1', 'p-1-m17'))).toEqual({
      name: 'my gateway',
      policyId: 'p-1',
      runId: 'p-1-m17',
    });
    expect(parseRotorTokenName('gateway rotor:Not Ours')).toBeUndefined();
    expect(parseRotorTokenName('plain gateway')).toBeUndefined();
  });
});
