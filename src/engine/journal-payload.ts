import { z } from 'zod';
import { RotationError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';

/** What the journal keeps of an issued credential: the credential document plus its non-secret facts. */
export interface IssuedCredential {
  /** The credential as the JSON document the sink stores. */
  readonly document: Secret<string>;
  readonly handle: string;
  readonly expiresAt: number | undefined;
}

const payloadSchema = z.strictObject({
  document: z.string(),
  handle: z.string(),
  expiresAt: z.number().optional(),
});

export function toJournalPayload(issued: IssuedCredential): Secret<string> {
  return issued.document.map((document) =>
    JSON.stringify({
      document,
      handle: issued.handle,
      ...(issued.expiresAt === undefined ? {} : { expiresAt: issued.expiresAt }),
    }),
  );
}

export function fromJournalPayload(payload: Secret<string>, policyId: string): IssuedCredential {
  let parsed: z.infer<typeof payloadSchema>;
  try {
    parsed = payloadSchema.parse(JSON.parse(payload.reveal()));
  } catch {
    throw new RotationError('protocol', `policy ${policyId}: the journal entry is not one rotor wrote`, {
      policyId,
    });
  }
  return { document: Secret.of(parsed.document), handle: parsed.handle, expiresAt: parsed.expiresAt };
}
