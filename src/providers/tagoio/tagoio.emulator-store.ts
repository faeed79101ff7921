import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../../lib/clock.js';

export interface StoredServiceToken {
  readonly token: string;
  readonly name: string;
  readonly permission: string;
  /** ISO 8601 or `never`. */
  readonly expireTime: string;
  verificationCode: string | null;
  readonly serieNumber: string | null;
  readonly createdAt: number;
  readonly refId: string;
}

export interface NewServiceToken {
  readonly name: string;
  readonly permission: string;
  readonly expireTime: string;
  readonly verificationCode?: string | undefined;
  readonly serieNumber?: string | undefined;
}

/** The emulated profile's service authorizations. Every token ever minted is remembered for leak scans. */
export class TagoioStore {
  readonly profileId = randomBytes(12).toString('hex');
  readonly #clock: Clock;
  readonly #tokens = new Map<string, StoredServiceToken>();
  readonly #minted: string[] = [];
  #lastCreatedAt = 0;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  create(input: NewServiceToken): StoredServiceToken {
    // Strictly increasing, so created_at ordering is stable within one millisecond.
    this.#lastCreatedAt = Math.max(this.#clock.now(), this.#lastCreatedAt + 1);
    const token: StoredServiceToken = {
      // The documented service-authorization prefix `at`, then 32 hex digits: 34 characters, as the SDK says.
      token: `at${randomBytes(16).toString('hex')}`,
      name: input.name,
      permission: input.permission,
      expireTime: input.expireTime,
      verificationCode: input.verificationCode ?? null,
      serieNumber: input.serieNumber ?? null,
      createdAt: this.#lastCreatedAt,
      refId: randomBytes(12).toString('hex'),
    };
    this.#tokens.set(token.token, token);
    this.#minted.push(token.token);
    return token;
  }

  find(token: string): StoredServiceToken | undefined {
    return this.#tokens.get(token);
  }

  list(): StoredServiceToken[] {
    return [...this.#tokens.values()];
  }

  delete(token: string): boolean {
    return this.#tokens.delete(token);
  }

  /** Whether TagoIO still holds this token (it has not been deleted). */
  exists(token: string): boolean {
    return this.#tokens.has(token);
  }

  /** Every token this store ever created, deleted ones included. */
  mintedSecrets(): readonly string[] {
    return [...this.#minted];
  }
}
