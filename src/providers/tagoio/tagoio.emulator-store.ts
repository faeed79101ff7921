import { randomBytes } from 'node:crypto';

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

/** The emulated profile's service authorizations. Every token ever minted is remembered for leak scans. */
export class TagoioStore {
  readonly profileId = randomBytes(12).toString('hex');
  readonly #tokens = new Map<string, StoredServiceToken>();
  readonly #minted: string[] = [];
  #clock = 0;

  create(input: {
    name: string;
    permission: string;
    expireTime: string;
    verificationCode?: string | undefined;
    serieNumber?: string | undefined;
  }): StoredServiceToken {
    // Strictly increasing, so created_at ordering is stable within one millisecond.
    this.#clock = Math.max(Date.now(), this.#clock + 1);
    const token: StoredServiceToken = {
      token: `at${randomBytes(16).toString('hex')}`,
      name: input.name,
      permission: input.permission,
      expireTime: input.expireTime,
      verificationCode: input.verificationCode ?? null,
      serieNumber: input.serieNumber ?? null,
      createdAt: this.#clock,
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

  exists(token: string): boolean {
    return this.#tokens.has(token);
  }

  mintedSecrets(): readonly string[] {
    return [...this.#minted];
  }
}
