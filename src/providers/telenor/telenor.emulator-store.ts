import { randomBytes } from 'node:crypto';

export interface StoredTelenorToken {
  readonly token: string;
  resource: string;
  write: boolean;
  tags: Record<string, string>;
}

/** Tag rules of the API: names lower-cased, empty values remove the tag. */
export function applyTags(
  current: Record<string, string>,
  changes: Record<string, string>,
): Record<string, string> {
  const next = { ...current };
  for (const [name, value] of Object.entries(changes)) {
    const key = name.toLowerCase();
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}

/** The emulated team's API tokens. Every token ever minted is remembered for leak scans. */
export class TelenorStore {
  readonly #tokens = new Map<string, StoredTelenorToken>();
  readonly #minted: string[] = [];

  create(input: {
    resource: string;
    write: boolean;
    tags?: Record<string, string> | undefined;
    token?: string;
  }): StoredTelenorToken {
    const token: StoredTelenorToken = {
      token: input.token ?? randomBytes(32).toString('hex'),
      resource: input.resource,
      write: input.write,
      tags: applyTags({}, input.tags ?? {}),
    };
    this.#tokens.set(token.token, token);
    this.#minted.push(token.token);
    return token;
  }

  find(token: string): StoredTelenorToken | undefined {
    return this.#tokens.get(token);
  }

  list(): StoredTelenorToken[] {
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
