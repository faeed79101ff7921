import { randomBytes, randomUUID } from 'node:crypto';
import { fingerprint } from '../../domain/ids.js';
import type { Clock } from '../../lib/clock.js';

export interface MintedPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly scope: string;
  /** The grant the pair belongs to: a client_credentials call starts one, refreshes continue it. */
  readonly grant: string;
  /** Epoch ms: when the access token expires. */
  readonly expiresAt: number;
}

interface TokenState {
  readonly kind: 'access_token' | 'refresh_token';
  readonly scope: string;
  readonly grant: string;
  readonly issue: string;
  /** Access tokens only. */
  readonly expiresAt?: number;
  used: boolean;
  revoked: boolean;
}

/** A token as the control endpoint shows it: never its value. */
export interface TokenView {
  readonly fingerprint: string;
  readonly kind: 'access_token' | 'refresh_token';
  readonly scope: string;
  readonly grant: string;
  /** The token call that minted it: an access token and the refresh token minted with it share one. */
  readonly issue: string;
  readonly state: 'live' | 'used' | 'revoked' | 'expired';
}

/** The emulated account's tokens. Every token ever minted is remembered for leak scans. */
export class MoovStore {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #tokens = new Map<string, TokenState>();
  readonly #minted: string[] = [];

  constructor(clock: Clock, accessTokenTtlSeconds: number) {
    this.#clock = clock;
    this.#ttlMs = accessTokenTtlSeconds * 1000;
  }

  /** A new pair with this scope, in a new grant or continuing one (a refresh). */
  mint(scope: string, grant: string = randomUUID()): MintedPair {
    const pair: MintedPair = {
      accessToken: `moov_at_${randomBytes(24).toString('base64url')}`,
      refreshToken: `moov_rt_${randomBytes(24).toString('base64url')}`,
      scope,
      grant,
      expiresAt: this.#clock.now() + this.#ttlMs,
    };
    const issue = randomUUID();
    this.#tokens.set(pair.accessToken, {
      kind: 'access_token',
      scope,
      grant,
      issue,
      expiresAt: pair.expiresAt,
      used: false,
      revoked: false,
    });
    this.#tokens.set(pair.refreshToken, {
      kind: 'refresh_token',
      scope,
      grant,
      issue,
      used: false,
      revoked: false,
    });
    this.#minted.push(pair.accessToken, pair.refreshToken);
    return pair;
  }

  /**
   * The grant of a refresh token, marking it used; undefined when it is unknown, revoked, or already used
   * while refresh tokens are single-use.
   */
  redeem(refreshToken: string, singleUse: boolean): { scope: string; grant: string } | undefined {
    const state = this.#tokens.get(refreshToken);
    if (state?.kind !== 'refresh_token' || state.revoked || (singleUse && state.used)) return undefined;
    state.used = true;
    return { scope: state.scope, grant: state.grant };
  }

  /**
   * RFC 7009: revoking an unknown token is not an error. With `wholeGrant`, revoking a refresh token also
   * revokes every token of its grant (what RFC 7009 §2.1 recommends a server do).
   */
  revoke(token: string, wholeGrant: boolean): void {
    const state = this.#tokens.get(token);
    if (!state) return;
    state.revoked = true;
    if (!wholeGrant || state.kind !== 'refresh_token') return;
    for (const other of this.#tokens.values()) if (other.grant === state.grant) other.revoked = true;
  }

  /** An access token's scope and whether it is live (known, not revoked, not expired). */
  accessTokenState(token: string): { live: boolean; scope: string } | undefined {
    const state = this.#tokens.get(token);
    if (state?.kind !== 'access_token') return undefined;
    return { live: this.#stateOf(state) === 'live', scope: state.scope };
  }

  #stateOf(state: TokenState): TokenView['state'] {
    if (state.revoked) return 'revoked';
    if (state.expiresAt !== undefined && state.expiresAt <= this.#clock.now()) return 'expired';
    return state.used ? 'used' : 'live';
  }

  /** Every token, by fingerprint, with its state. */
  list(): TokenView[] {
    return [...this.#tokens].map(([token, state]) => ({
      fingerprint: fingerprint(token),
      kind: state.kind,
      scope: state.scope,
      grant: state.grant,
      issue: state.issue,
      state: this.#stateOf(state),
    }));
  }

  mintedSecrets(): readonly string[] {
    return [...this.#minted];
  }
}
