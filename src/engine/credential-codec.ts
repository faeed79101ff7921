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
 * What this process learnt of a stored document (keyed by the Secret holding it, which never changes): its
 * members and provenance once parsed, and its credential once a provider's schema accepted it. A document is
 * parsed and checked at most once however many steps look at it — the issued one is held for redaction at
 * stage and handed to verify, the current one read for its provenance, held, and handed to the issue — and
 * one rotor encoded from a credential its schema had just accepted is not checked again at all. A document
 * read from the sink is checked on its first decode, as before.
 */
interface KnownDocument {
  /** The document's members apart from rotor's own (unchecked). */
  readonly members: unknown;
  readonly provenance: Provenance | undefined;
  /** The schema that accepted the members, and what it made of them. */
  accepted?: { readonly schema: z.ZodType<unknown>; readonly credential: unknown };
}

const knownDocuments = new WeakMap<Secret<string>, KnownDocument>();

/**
 * A provider credential as stored in the sink: one JSON document, checked against the provider's schema on
 * the way in and out. Errors never quote the document. `acceptedBy`: the schema the credential was just
 * parsed with (the engine checks an issued credential before it stores it), so decoding the document in this
 * process gives that credential back without checking it again.
 */
export function encodeCredential(
  credential: Secret<unknown>,
  provenance: Provenance,
  acceptedBy?: z.ZodType<unknown>,
): Secret<string> {
  const value = credential.reveal();
  const own = isMembers(value);
  const document = credential.map(() =>
    JSON.stringify(own ? { ...value, [PROVENANCE_MEMBER]: { runId: provenance.runId } } : value),
  );
  if (acceptedBy !== undefined) {
    knownDocuments.set(document, {
      members: value,
      provenance: own ? { runId: provenance.runId } : undefined,
      accepted: { schema: acceptedBy, credential: value },
    });
  }
  return document;
}

function isMembers(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The document's members apart from rotor's own, and rotor's provenance when it is there. */
function split(document: unknown): { members: unknown; provenance: Provenance | undefined } {
  if (!isMembers(document)) return { members: document, provenance: undefined };
  const { [PROVENANCE_MEMBER]: own, ...members } = document;
  const runId = (own as { runId?: unknown } | undefined)?.runId;
  return { members, provenance: typeof runId === 'string' ? { runId } : undefined };
}

/** The stored document, parsed once; undefined when it is not JSON. */
function known(stored: Secret<string>): KnownDocument | undefined {
  const seen = knownDocuments.get(stored);
  if (seen) return seen;
  let document: unknown;
  try {
    document = JSON.parse(stored.reveal());
  } catch {
    return undefined;
  }
  const parsed = split(document);
  knownDocuments.set(stored, parsed);
  return parsed;
}

/** The document's members as the schema reads them (checked once per schema that accepts them). */
function checked(
  document: KnownDocument,
  schema: z.ZodType<unknown>,
): { success: true; data: unknown } | { success: false; error: z.ZodError } {
  if (document.accepted?.schema === schema) return { success: true, data: document.accepted.credential };
  const parsed = schema.safeParse(document.members);
  if (parsed.success) document.accepted = { schema, credential: parsed.data };
  return parsed;
}

/** The run that made the stored document, when rotor wrote it. */
export function provenanceOf(stored: Secret<string>): Provenance | undefined {
  return known(stored)?.provenance;
}

/** The stored document as the provider's credential, or undefined when it is not one. */
export function credentialIn(stored: Secret<string>, schema: z.ZodType<unknown>): unknown {
  const document = known(stored);
  if (document === undefined) return undefined;
  const parsed = checked(document, schema);
  return parsed.success ? parsed.data : undefined;
}

export function decodeCredential(
  stored: Secret<string>,
  schema: z.ZodType<unknown>,
  where: { policyId: string; secretId: string; version: string },
): Secret<unknown> {
  const document = known(stored);
  if (document === undefined) throw unreadable(where, 'it is not JSON');
  const parsed = checked(document, schema);
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
