import { request } from 'undici';
import type { Secret } from '../domain/secret.js';
import { withDeadline } from './deadline.js';
import { errorCode } from './error-code.js';
import { signatureHeaders } from './webhook-signing.js';

/** What a receiver did with a signed message: its HTTP status, or why there was none (a code, never the URL). */
export type PostOutcome = { readonly status: number } | { readonly unreachable: string };

/**
 * POSTs one JSON message, signed per Standard Webhooks when a secret is given (webhook-id, -timestamp,
 * -signature over exactly `body`), within `timeoutMs`. The answer's body is discarded unread.
 */
export async function postSigned(
  url: string,
  message: {
    readonly id: string;
    readonly at: Date;
    readonly body: string;
    readonly secret: Secret<string> | undefined;
    readonly timeoutMs: number;
    readonly userAgent: string;
  },
): Promise<PostOutcome> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': message.userAgent,
    ...(message.secret ? signatureHeaders(message.secret, message.id, message.at, message.body) : {}),
  };
  try {
    return await withDeadline(message.timeoutMs, async (signal) => {
      const response = await request(url, { method: 'POST', headers, body: message.body, signal });
      await response.body.dump();
      return { status: response.statusCode };
    });
  } catch (error) {
    return { unreachable: errorCode(error) ?? 'network error' };
  }
}
