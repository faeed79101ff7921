import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RotationError } from '../domain/errors.js';
import { Secret } from '../domain/secret.js';

export type JournalKeys = ReadonlyMap<string, Secret<Buffer>>;

const ALGORITHM = 'aes-256-gcm';
const envelopeSchema = z.strictObject({
  v: z.literal(1),
  kid: z.string(),
  iv: z.string(),
  tag: z.string(),
  ct: z.string(),
});

// Each encryption takes a fresh random IV, drawn from the CSPRNG 256 at a time: a call into OpenSSL for every
// 12 bytes cost more than the encryption itself. A drawn IV is used once and never again.
const IV_BYTES = 12;
const IVS_PER_DRAW = 256;
let drawnIvs = Buffer.alloc(0);
let nextIv = 0;

function freshIv(): Buffer {
  if (nextIv + IV_BYTES > drawnIvs.length) {
    drawnIvs = randomBytes(IV_BYTES * IVS_PER_DRAW);
    nextIv = 0;
  }
  const iv = drawnIvs.subarray(nextIv, nextIv + IV_BYTES);
  nextIv += IV_BYTES;
  return iv;
}

function keyFor(keys: JournalKeys, keyId: string): Buffer {
  const key = keys.get(keyId)?.reveal();
  if (!key)
    throw new RotationError('invalid-config', `journal key "${keyId}" is not configured (journal.keys)`);
  if (key.length !== 32) throw new RotationError('invalid-config', `journal key "${keyId}" is not 32 bytes`);
  return key;
}

/**
 * Encrypts with AES-256-GCM under the active key. `aad` binds the ciphertext to its slot, so an envelope
 * copied to another policy or run does not decrypt. The envelope names its key id, so older keys keep
 * decrypting after the active key changes.
 */
export function encryptJournal(
  plaintext: Secret<string>,
  aad: string,
  keys: JournalKeys,
  activeKeyId: string,
): string {
  const iv = freshIv();
  const cipher = createCipheriv(ALGORITHM, keyFor(keys, activeKeyId), iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext.reveal(), 'utf8'), cipher.final()]);
  return JSON.stringify({
    v: 1,
    kid: activeKeyId,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ct: ct.toString('base64'),
  });
}

export function decryptJournal(envelope: string, aad: string, keys: JournalKeys): Secret<string> {
  let parsed: z.infer<typeof envelopeSchema>;
  try {
    parsed = envelopeSchema.parse(JSON.parse(envelope));
  } catch {
    throw new RotationError('protocol', 'journal entry is not an envelope rotor wrote');
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, keyFor(keys, parsed.kid), Buffer.from(parsed.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(parsed.tag, 'base64'));
    const plaintext = Buffer.concat([decipher.update(Buffer.from(parsed.ct, 'base64')), decipher.final()]);
    return Secret.of(plaintext.toString('utf8'));
  } catch (error) {
    if (error instanceof RotationError) throw error;
    throw new RotationError(
      'protocol',
      `journal entry failed authentication under key "${parsed.kid}" (tampered, or moved)`,
    );
  }
}
