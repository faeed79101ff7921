import { Agent, request } from 'undici';

/**
 * What the minimal baseline needs to make one vendor's issue call: where, with which admin credential, for
 * which target. Learnt from the vendors' wire (and rotor's emulators of it), not from rotor's code: this file
 * and baseline-worker.ts import nothing from src/.
 */
export type VendorIssue =
  | {
      readonly vendor: 'cloudflare';
      /** `https://api.cloudflare.com/client/v4` or the emulator's. */
      readonly baseUrl: string;
      readonly accountId: string;
      readonly apiToken: string;
      readonly serviceTokenId: string;
    }
  | {
      readonly vendor: 'tagoio';
      readonly baseUrl: string;
      readonly profileToken: string;
      readonly name: string;
      readonly permission: string;
    }
  | {
      readonly vendor: 'telenor';
      readonly baseUrl: string;
      /** The CONNECT ID session's Cookie header value. */
      readonly session: string;
      readonly resource: string;
      readonly write: boolean;
      readonly tags: Readonly<Record<string, string>>;
    }
  | {
      readonly vendor: 'moov';
      readonly baseUrl: string;
      readonly publicKey: string;
      readonly secretKey: string;
      readonly scope: string;
    };

interface VendorCall {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  /** The credential in the vendor's answer (the envelope's `result` where the vendor wraps it). */
  readonly credentialOf: (answer: unknown) => unknown;
}

const resultOf = (answer: unknown): unknown => (answer as { result?: unknown } | null)?.result;
const whole = (answer: unknown): unknown => answer;

/** One POST per vendor: Cloudflare's rotate, TagoIO's and Telenor's create, Moov's client_credentials token. */
function callOf(issue: VendorIssue, graceEndsAt: Date): VendorCall {
  switch (issue.vendor) {
    case 'cloudflare':
      return {
        url: `${issue.baseUrl}/accounts/${issue.accountId}/access/service_tokens/${issue.serviceTokenId}/rotate`,
        headers: { authorization: `Bearer ${issue.apiToken}` },
        // The old secret stays valid through the grace period: Cloudflare retires it, no revoke call.
        body: { previous_client_secret_expires_at: graceEndsAt.toISOString() },
        credentialOf: resultOf,
      };
    case 'tagoio':
      return {
        url: `${issue.baseUrl}/serviceauth`,
        headers: { token: issue.profileToken },
        body: { name: issue.name, permission: issue.permission, expire_time: 'never' },
        credentialOf: resultOf,
      };
    case 'telenor':
      return {
        url: `${issue.baseUrl}/tokens`,
        headers: { cookie: issue.session },
        body: { resource: issue.resource, write: issue.write, tags: issue.tags },
        credentialOf: whole,
      };
    case 'moov':
      return {
        url: `${issue.baseUrl}/oauth2/token`,
        headers: {
          authorization: `Basic ${Buffer.from(`${issue.publicKey}:${issue.secretKey}`).toString('base64')}`,
          'x-moov-version': 'v2026.07.00',
        },
        body: { grant_type: 'client_credentials', scope: issue.scope },
        credentialOf: whole,
      };
  }
}

/** The baseline's vendor calls through one undici agent (keep-alive connections per origin). */
export class VendorIssuer {
  readonly #agent = new Agent();

  /** Makes the issue call; the new credential as the JSON text to store. */
  async issue(target: VendorIssue, graceEndsAt: Date): Promise<string> {
    const call = callOf(target, graceEndsAt);
    const answer = await request(call.url, {
      method: 'POST',
      headers: { ...call.headers, 'content-type': 'application/json' },
      body: JSON.stringify(call.body),
      dispatcher: this.#agent,
    });
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      await answer.body.dump();
      throw new Error(`${target.vendor} issue answered ${answer.statusCode}`);
    }
    return JSON.stringify(call.credentialOf(await answer.body.json()));
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
