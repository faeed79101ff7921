import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';

export interface MintedPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly scope: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

interface AccessTokenState {
  readonly scope: string;
  readonly expiresAt: number;
  revoked: boolean;
}

interface RefreshTokenState {
  readonly scope: string;
  used: boolean;
  revoked: boolean;
}

/** The emulated account's tokens. Every token ever minted is remembered for leak scans. */
export class MoovStore {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #access = new Map<string, AccessTokenState>();
  readonly #refresh = new Map<string, RefreshTokenState>();
  readonly #minted: string[] = [];

  constructor(clock: Clock, accessTokenTtlSeconds: number) {
    this.#clock = clock;
    this.#ttlMs = accessTokenTtlSeconds * 1000;
  }

  mint(scope: string): MintedPair {
    const pair = {
      accessToken: `moov_at_${randomBytes(24).toString('base64url')}`,
      refreshToken: `moov_rt_${randomBytes(24).toString('base64url')}`,
      scope,
      expiresAt: this.#clock.now() + this.#ttlMs,
    };
    this.#access.set(pair.accessToken, { scope, expiresAt: pair.expiresAt, revoked: false });
    this.#refresh.set(pair.refreshToken, { scope, used: false, revoked: false });
    this.#minted.push(pair.accessToken, pair.refreshToken);
    return pair;
  }

  /** The scope a refresh token grants, marking it used; undefined when it is unknown, used or revoked. */
  redeem(refreshToken: string, singleUse: boolean): string | undefined {
    const state = this.#refresh.get(refreshToken);
    if (!state || state.revoked || (singleUse && state.used)) return undefined;
    state.used = true;
    return state.scope;
  }

  /** RFC 7009: revoking an unknown token is not an error. */
  revoke(token: string): void {
    const access = this.#access.get(token);
    if (access) access.revoked = true;
    const refresh = this.#refresh.get(token);
    if (refresh) refresh.revoked = true;
  }

  /** Whether an access token is live: known, not revoked, not expired. */
  accessTokenState(token: string): { live: boolean; scope: string } | undefined {
    const state = this.#access.get(token);
    if (!state) return undefined;
    return { live: !state.revoked && state.expiresAt > this.#clock.now(), scope: state.scope };
  }

  mintedSecrets(): readonly string[] {
    return [...this.#minted];
  }
}
