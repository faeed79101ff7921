import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';

export type TokenScope = { readonly kind: 'accounts' | 'zones'; readonly id: string };

/** A service token as the emulator keeps it; secrets never leave through `view`. */
export interface StoredToken {
  readonly id: string;
  readonly scope: TokenScope;
  name: string;
  readonly clientId: string;
  secret: string;
  previousSecret: string | undefined;
  /** Epoch ms until which `previousSecret` is still accepted. */
  previousExpiresAt: number | undefined;
  clientSecretVersion: number;
  duration: string;
  /** Epoch ms; null for `forever`. */
  expiresAt: number | null;
  enabled: boolean;
  readonly createdAt: number;
  updatedAt: number;
  lastSeenAt: number | undefined;
}

export const DEFAULT_DURATION = '8760h';
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const GO_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go `time.ParseDuration` syntax (the API's `duration`), or `forever`; undefined when invalid. */
export function parseGoDuration(text: string): number | null | undefined {
  if (text === 'forever') return null;
  if (!GO_DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * (GO_UNIT_MS[unit ?? 's'] ?? 0);
  }
  return total > 0 ? Math.round(total) : undefined;
}

export const newClientSecret = (): string => randomBytes(32).toString('hex');

/** The emulated Zero Trust state: service tokens by id, across the seeded account and zone. */
export class CloudflareStore {
  readonly #clock: Clock;
  readonly #tokens = new Map<string, StoredToken>();
  readonly #teamDomain: string;
  readonly #minted: string[] = [];

  constructor(clock: Clock, teamDomain: string) {
    this.#clock = clock;
    this.#teamDomain = teamDomain;
  }

  now(): number {
    return this.#clock.now();
  }

  create(input: {
    scope: TokenScope;
    name: string;
    duration?: string;
    enabled?: boolean;
    id?: string;
  }): StoredToken {
    const now = this.now();
    const duration = input.duration ?? DEFAULT_DURATION;
    const lifetime = parseGoDuration(duration);
    if (lifetime === undefined) throw new Error(`invalid duration ${duration}`);
    const token: StoredToken = {
      id: input.id ?? randomUUID(),
      scope: input.scope,
      name: input.name,
      clientId: `${randomBytes(16).toString('hex')}.access.${this.#teamDomain}`,
      secret: this.#mint(),
      previousSecret: undefined,
      previousExpiresAt: undefined,
      clientSecretVersion: 1,
      duration,
      expiresAt: lifetime === null ? null : now + lifetime,
      enabled: input.enabled ?? true,
      createdAt: now,
      updatedAt: now,
      lastSeenAt: undefined,
    };
    this.#tokens.set(token.id, token);
    return token;
  }

  find(scope: TokenScope, id: string): StoredToken | undefined {
    const token = this.#tokens.get(id);
    return token && token.scope.kind === scope.kind && token.scope.id === scope.id ? token : undefined;
  }

  list(scope: TokenScope): StoredToken[] {
    return [...this.#tokens.values()].filter(
      (token) => token.scope.kind === scope.kind && token.scope.id === scope.id,
    );
  }

  delete(token: StoredToken): void {
    this.#tokens.delete(token.id);
  }

  /** A new secret; the old one stays valid until `previousExpiresAt` (now when absent: it dies at once). */
  rotate(token: StoredToken, previousExpiresAt: number | undefined): void {
    token.previousSecret = token.secret;
    token.previousExpiresAt = previousExpiresAt ?? this.now();
    token.secret = this.#mint();
    token.clientSecretVersion += 1;
    token.updatedAt = this.now();
  }

  refresh(token: StoredToken): void {
    const lifetime = parseGoDuration(token.duration);
    token.expiresAt = lifetime === null || lifetime === undefined ? null : this.now() + lifetime;
    token.updatedAt = this.now();
  }

  /** What the Access edge decides for a client id/secret pair. */
  admits(clientId: string, clientSecret: string): boolean {
    const now = this.now();
    for (const token of this.#tokens.values()) {
      if (token.clientId !== clientId) continue;
      if (!token.enabled || (token.expiresAt !== null && token.expiresAt <= now)) return false;
      const current = token.secret === clientSecret;
      const previous =
        token.previousSecret === clientSecret &&
        token.previousExpiresAt !== undefined &&
        token.previousExpiresAt > now;
      if (current || previous) token.lastSeenAt = now;
      return current || previous;
    }
    return false;
  }

  /** Every client secret this emulator has handed out, for tests that scan for leaks. */
  mintedSecrets(): readonly string[] {
    return [...this.#minted];
  }

  clear(): void {
    this.#tokens.clear();
  }

  #mint(): string {
    const secret = newClientSecret();
    this.#minted.push(secret);
    return secret;
  }
}
