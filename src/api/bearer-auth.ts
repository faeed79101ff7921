import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../domain/secret.js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Checks an `Authorization: Bearer …` header against the configured tokens in constant time: every token
 * is compared (no early exit), and comparing digests hides the tokens' lengths.
 */
export function createBearerCheck(
  tokens: readonly Secret<string>[],
): (header: string | undefined) => boolean {
  const expected = tokens.map((token) => digest(token.reveal()));
  return (header) => {
    const presented = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
    const given = digest(presented);
    let matched = false;
    for (const candidate of expected) matched = timingSafeEqual(candidate, given) || matched;
    return matched && presented !== '';
  };
}
