import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The status a vendor answers about a request itself: a 429 (its quota, not the credential) is waited out for
 * as long as Retry-After or Moov's X-Retry-In says (a second when neither does); a 5xx or a dropped connection
 * throws, since the vendor said nothing about the credential. The deadline only bounds a broken test.
 */
export async function vendorAnswer(
  url: string,
  init: RequestInit = {},
  deadlineMs = 30_000,
): Promise<number> {
  const giveUpAt = Date.now() + deadlineMs;
  for (;;) {
    const response = await fetch(url, { ...init, redirect: 'manual' });
    await response.arrayBuffer();
    if (response.status >= 500) throw new Error(`${url} answered ${response.status}: the probe cannot tell`);
    if (response.status !== 429) return response.status;
    if (Date.now() > giveUpAt) throw new Error(`${url} kept answering 429`);
    const retryInMs = Number(response.headers.get('x-retry-in'));
    const retryAfterMs = Number(response.headers.get('retry-after')) * 1000;
    await sleep(retryInMs > 0 ? retryInMs : retryAfterMs > 0 ? retryAfterMs : 1_000);
  }
}
