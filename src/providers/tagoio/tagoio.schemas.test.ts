import { describe, expect, it } from 'vitest';
import { tagoioConnectionSchema, tagoioCredentialSchema, tagoioTargetSchema } from './tagoio.schemas.js';

const issuesOf = (result: { error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (result.error?.issues ?? []).map((issue) => [issue.path.join('.'), issue.message]);
const token = { env: 'TAGOIO_PROFILE_TOKEN' };

describe('TagoIO config schemas', () => {
  it('takes the profile token by reference and exactly one of region or baseUrl', () => {
    expect(tagoioConnectionSchema.parse({ token, region: 'eu-w1' })).toMatchObject({
      token: { source: { kind: 'env', name: 'TAGOIO_PROFILE_TOKEN' } },
      region: 'eu-w1',
    });
    expect(tagoioConnectionSchema.safeParse({ token, baseUrl: 'https://api.x.tagoio.net' }).success).toBe(
      true,
    );
    expect(issuesOf(tagoioConnectionSchema.safeParse({ token }))).toEqual([
      ['region', 'expected region (us-e1 or eu-w1) or baseUrl'],
    ]);
    expect(
      issuesOf(tagoioConnectionSchema.safeParse({ token, region: 'us-e1', baseUrl: 'https://api.tago.io' })),
    ).toEqual([['baseUrl', 'expected region or baseUrl, not both']]);
    expect(tagoioConnectionSchema.safeParse({ token, region: 'usa-1' }).success).toBe(false);
    expect(tagoioConnectionSchema.safeParse({ token: 'p-inline', region: 'us-e1' }).success).toBe(false);
    expect(tagoioConnectionSchema.safeParse({ token, region: 'us-e1', profile: 'x' }).success).toBe(false);
  });

  it('defaults the target to full permission and tokens that never expire; expiry is a duration', () => {
    expect(tagoioTargetSchema.parse({ name: 'gateway' })).toEqual({
      name: 'gateway',
      permission: 'full',
      expireTime: 'never',
    });
    expect(tagoioTargetSchema.parse({ name: 'gw', expireTime: '90d', verificationCode: 'mw' })).toEqual({
      name: 'gw',
      permission: 'full',
      expireTime: 90 * 86_400_000,
      verificationCode: 'mw',
    });
    expect(issuesOf(tagoioTargetSchema.safeParse({ name: '' }))[0]?.[0]).toBe('name');
    expect(issuesOf(tagoioTargetSchema.safeParse({ name: 'gw', permission: 'admin' }))[0]?.[0]).toBe(
      'permission',
    );
    expect(issuesOf(tagoioTargetSchema.safeParse({ name: 'gw', expireTime: 'soon' }))).toEqual([
      ['expireTime', 'expected never or a duration such as 90d'],
    ]);
  });

  it('stores {token, name, permission, expireTime}', () => {
    const credential = { token: `at${'0'.repeat(32)}`, name: 'gw', permission: 'write', expireTime: null };
    expect(tagoioCredentialSchema.parse(credential)).toEqual(credential);
    expect(
      tagoioCredentialSchema.safeParse({ ...credential, expireTime: '2027-01-01T00:00:00.000Z' }).success,
    ).toBe(true);
    expect(tagoioCredentialSchema.safeParse({ ...credential, extra: 1 }).success).toBe(false);
    expect(tagoioCredentialSchema.safeParse({ ...credential, token: '' }).success).toBe(false);
  });
});
