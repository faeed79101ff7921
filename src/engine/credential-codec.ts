import type { z } from 'zod';
import { RotationError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';

/**
 * The member rotor adds to the JSON document it stores: `"rotor": {"runId": …}` ties an AWS version to the
 * run that made it (secret tags cover the whole secret, version ids are one-way hashes), so a record lost
 * with Redis is rebuilt from AWS with its run ids. Consumers read the provider's members, which are unchanged.
 */
export const PROVENANCE_MEMBER = 'rotor';

/** What the stored document says about the run that made it; absent in documents rotor did not write. */
export interface Provenance {
  readonly runId: string;
}

/**
 * A provider credential as stored in the sink: one JSON document, checked against the provider's schema on
 * the way in and out. Errors never quote the document.
 */
export function encodeCredential(credential: Secret<unknown>, provenance: Provenance): Secret<string> {
  return credential.map((value) =>
    JSON.stringify(
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? { ...value, [PROVENANCE_MEMBER]: { runId: provenance.runId } }
        : value,
    ),
  );
}

/** The document's members apart from rotor's own, and rotor's provenance when it is there. */
function split(document: unknown): { credential: unknown; provenance: Provenance | undefined } {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { credential: document, provenance: undefined };
  }
  const { [PROVENANCE_MEMBER]: own, ...credential } = document as Record<string, unknown>;
  const runId = (own as { runId?: unknown } | undefined)?.runId;
  return { credential, provenance: typeof runId === 'string' ? { runId } : undefined };
}

function parseDocument(stored: Secret<string>): unknown {
  try {
    return JSON.parse(stored.reveal());
  } catch {
    return undefined;
  }
}

/** The run that made the stored document, when rotor wrote it. */
export function provenanceOf(stored: Secret<string>): Provenance | undefined {
  return split(parseDocument(stored)).provenance;
}

/** The stored document as the provider's credential, or undefined when it is not one. */
export function credentialIn(stored: Secret<string>, schema: z.ZodType<unknown>): unknown {
  const parsed = schema.safeParse(split(parseDocument(stored)).credential);
  return parsed.success ? parsed.data : undefined;
}

export function decodeCredential(
  stored: Secret<string>,
  schema: z.ZodType<unknown>,
  where: { policyId: string; secretId: string; version: string },
): Secret<unknown> {
  const document = parseDocument(stored);
  if (document === undefined) throw unreadable(where, 'it is not JSON');
  const parsed = schema.safeParse(split(document).credential);
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
