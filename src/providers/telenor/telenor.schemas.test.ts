import { describe, expect, it } from 'vitest';
import {
  TELENOR_API_BASE_URL,
  telenorConnectionSchema,
  telenorCredentialSchema,
  telenorTargetSchema,
} from './telenor.schemas.js';

const issuesOf = (result: { error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (result.error?.issues ?? []).map((issue) => [issue.path.join('.'), issue.message]);

describe('Telenor config schemas', () => {
  it('takes a session or an API token by reference, with the documented base URL by default', () => {
    const parsed = telenorConnectionSchema.parse({ session: { env: 'HORDE_SESSION' } });
    expect(parsed.baseUrl).toBe(TELENOR_API_BASE_URL);
    expect(telenorConnectionSchema.safeParse({ apiToken: { env: 'HORDE_TOKEN' } }).success).toBe(true);
    expect(issuesOf(telenorConnectionSchema.safeParse({}))).toEqual([
      ['session', 'expected session (CONNECT ID cookie) or apiToken'],
    ]);
    expect(telenorConnectionSchema.safeParse({ session: 'horde_session=inline' }).success).toBe(false);
  });

  it('checks the target’s resource and tag names, reserving rotor’s own tags', () => {
    expect(
      telenorTargetSchema.parse({ resource: '/collections/1', write: true, tags: { team: 'iot' } }),
    ).toEqual({ resource: '/collections/1', write: true, tags: { team: 'iot' } });
    expect(issuesOf(telenorTargetSchema.safeParse({ resource: 'collections' }))[0]?.[0]).toBe('resource');
    expect(
      issuesOf(telenorTargetSchema.safeParse({ tags: { Team: 'iot', policy: 'x', empty: '' } })),
    ).toEqual([
      ['tags.empty', 'expected a tag value (Telenor drops tags with empty values)'],
      ['tags.Team', 'expected a lower-case tag name'],
      ['tags.policy', 'rotor sets the tags managed-by, policy, run itself'],
    ]);
  });

  it('stores {token, resource, write, tags}', () => {
    const credential = { token: 'f'.repeat(64), resource: '/', write: false, tags: {} };
    expect(telenorCredentialSchema.parse(credential)).toEqual(credential);
    expect(telenorCredentialSchema.safeParse({ ...credential, extra: 1 }).success).toBe(false);
  });
});
