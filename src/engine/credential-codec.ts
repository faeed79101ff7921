import type { z } from 'zod';
import { RotationError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';

/**
 * A provider credential as stored in the sink: one JSON document, checked against the provider's schema on
 * the way in and out. Errors never quote the document.
 */
export function encodeCredential(credential: Secret<unknown>): Secret<string> {
  return credential.map((value) => JSON.stringify(value));
}

/** The stored document as the provider's credential, or undefined when it is not one. */
export function credentialIn(stored: Secret<string>, schema: z.ZodType<unknown>): unknown {
  let document: unknown;
  try {
    document = JSON.parse(stored.reveal());
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(document);
  return parsed.success ? parsed.data : undefined;
}

export function decodeCredential(
  stored: Secret<string>,
  schema: z.ZodType<unknown>,
  where: { policyId: string; secretId: string; version: string },
): Secret<unknown> {
  let document: unknown;
  try {
    document = JSON.parse(stored.reveal());
  } catch {
    throw unreadable(where, 'it is not JSON');
  }
  const parsed = schema.safeParse(document);
  if (!parsed.success) {
    const paths = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)');
    throw unreadable(
      where,
      `fields ${[...new Set(paths)].join(', ')} do not match the provider's credential`,
    );
  }
  return Secret.of(parsed.data);
}

function unreadable(
  where: { policyId: string; secretId: string; version: string },
  why: string,
): RotationError {
  return new RotationError(
    'protocol',
    `policy ${where.policyId}: the ${where.version} version of secret ${where.secretId} is not a credential rotor can use: ${why}`,
    { policyId: where.policyId },
  );
}
