import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiTokenConfig } from '../config/rotor-config.js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Checks an `Authorization: Bearer …` header against the configured tokens in constant time: every token
 * is compared (no early exit), and comparing digests hides the tokens' lengths. Answers the name of the
 * token presented, or undefined when none matches.
 */
export function createBearerCheck(
  tokens: readonly ApiTokenConfig[],
): (header: string | undefined) => string | undefined {
  const expected = tokens.map(({ name, token }) => ({ name, digest: digest(token.reveal()) }));
  return (header) => {
    const presented = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
    const given = digest(presented);
    let matched: string | undefined;
    for (const candidate of expected) {
      if (timingSafeEqual(candidate.digest, given)) matched = candidate.name;
    }
    return presented === '' ? undefined : matched;
  };
}
