import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Secret } from '../src/domain/secret.js';
import type { Provider, ProviderAction } from '../src/providers/provider.js';

/*
 * The rules of the Provider type, checked by the compiler: `npm run typecheck` fails when a provider that
 * breaks one compiles (its `@ts-expect-error` is then unused) or when one that keeps them does not.
 */

type Connection = { readonly url: string };
type Target = { readonly tokenId: string };
type Credential = { readonly token: string };
type ProbeProvider = Provider<Connection, Target, Credential>;

const action = <Cap extends 'overlap' | 'native-grace' | 'extend'>(
  capability: Cap,
): ProviderAction<Connection, Target, Credential, Cap> => ({
  capability,
  summary: `a ${capability} action`,
  readsCurrent: false,
  issue: async () => ({ credential: Secret.of({ token: 'new' }), handle: 'new' }),
});

/** Everything the rules do not concern. */
const parts = {
  id: 'probe',
  displayName: 'Probe',
  schemas: {
    connection: z.strictObject({ url: z.string() }),
    target: z.strictObject({ tokenId: z.string() }),
    credential: z.strictObject({ token: z.string() }),
  },
  handleOf: (credential: Credential) => credential.token,
  secretsOf: (credential: Credential) => [credential.token],
  expiresAt: () => undefined,
  preflight: async () => {},
  emulator: { name: 'probe', start: () => Promise.reject(new Error('not an emulator')) },
};
const listIssued = async () => [];
const revoke = async () => 'revoked' as const;

describe('the Provider type', () => {
  it('requires listIssued of a provider that can list, and refuses it to one that cannot', () => {
    // @ts-expect-error canList without listIssued
    const listsNothing: ProbeProvider = { ...parts, actions: { refresh: action('extend') }, canList: true };
    // @ts-expect-error listIssued without canList
    const unlisted: ProbeProvider = {
      ...parts,
      actions: { refresh: action('extend') },
      canList: false,
      listIssued,
    };
    const lists: ProbeProvider = {
      ...parts,
      actions: { refresh: action('extend') },
      canList: true,
      listIssued,
    };

    expect([listsNothing.canList, unlisted.canList, lists.canList]).toEqual([true, false, true]);
  });

  it('requires revoke of a provider with an overlap action', () => {
    // @ts-expect-error an overlap action without revoke
    const keepsDisplaced: ProbeProvider = {
      ...parts,
      actions: { refresh: action('extend'), rotate: action('overlap') },
      canList: false,
    };
    const revokes: ProbeProvider = {
      ...parts,
      actions: { rotate: action('overlap') },
      canList: false,
      revoke,
    };
    const noOverlap: ProbeProvider = {
      ...parts,
      actions: { rotate: action('native-grace'), refresh: action('extend') },
      canList: false,
    };
    const noOverlapRevokes: ProbeProvider = {
      ...parts,
      actions: { rotate: action('native-grace') },
      canList: true,
      listIssued,
      revoke,
    };

    expect([keepsDisplaced, revokes, noOverlap, noOverlapRevokes].map((provider) => provider.revoke)).toEqual(
      [undefined, revoke, undefined, revoke],
    );
  });
});
