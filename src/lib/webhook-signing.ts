import { Webhook } from 'standardwebhooks';
import type { Secret } from '../domain/secret.js';

/** Why a signing secret is unusable for Standard Webhooks, or undefined when it is fine. */
export function signingSecretProblem(secret: Secret<string>): string | undefined {
  try {
    new Webhook(secret.reveal());
    return undefined;
  } catch {
    return 'expected a Standard Webhooks signing secret: whsec_ followed by base64 (openssl rand -base64 32)';
  }
}

/** The Standard Webhooks headers for one message: webhook-id, webhook-timestamp, webhook-signature. */
export function signatureHeaders(
  secret: Secret<string>,
  messageId: string,
  at: Date,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret.reveal()).sign(messageId, at, body),
  };
}
