import { request } from 'undici';
import type { ConsumerConfirmation } from '../config/rotor-config.js';
import { boundedText } from '../lib/bounded-body.js';
import { withDeadline } from '../lib/deadline.js';
import { errorCode } from '../lib/error-code.js';

type Poll = Extract<ConsumerConfirmation, { kind: 'poll' }>;

/** What a confirmation URL said: the AWS version id the consumer uses, or why it said nothing usable. */
export type PollAnswer = { readonly versionId: string } | { readonly problem: string };

const MAX_BODY_BYTES = 64 * 1024;
const VERSION_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Asks a consumer which AWS version it uses: `GET` its confirmation URL; the answer (2xx) carries the version
 * id in a JSON field (`{"versionId": "…"}` by default) or in a header. Read-only; never throws.
 */
export async function pollConfirmation(poll: Poll): Promise<PollAnswer> {
  try {
    return await withDeadline(poll.timeoutMs, async (signal) => {
      const response = await request(poll.url, {
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'rotor-consumers' },
        signal,
      });
      if (response.statusCode < 200 || response.statusCode >= 300) {
        await response.body.dump();
        return { problem: `answered HTTP ${response.statusCode}` };
      }
      if (poll.header !== undefined) {
        await response.body.dump();
        const value = response.headers[poll.header.toLowerCase()];
        return versionIn(Array.isArray(value) ? value[0] : value, `header ${poll.header}`);
      }
      const text = await boundedText(response.body, MAX_BODY_BYTES);
      if (text === undefined) return { problem: `answered more than ${MAX_BODY_BYTES} bytes` };
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { problem: 'answered a body that is not JSON' };
      }
      const field = poll.field ?? 'versionId';
      const value =
        typeof body === 'object' && body !== null && Object.hasOwn(body, field)
          ? (body as Record<string, unknown>)[field]
          : undefined;
      return versionIn(value, `field "${field}"`);
    });
  } catch (error) {
    // A timeout is a DOMException, whose `code` is a number: its name says what happened.
    const code = errorCode(error);
    return { problem: `did not answer (${code === undefined || code === 'Error' ? 'network error' : code})` };
  }
}

function versionIn(value: unknown, where: string): PollAnswer {
  if (typeof value !== 'string') return { problem: `answered without a version id in its ${where}` };
  if (!VERSION_ID.test(value)) return { problem: `answered a ${where} that is not an AWS version id` };
  return { versionId: value };
}
