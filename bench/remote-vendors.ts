import type { VendorIssue } from './baseline-issue.js';
import type { EmulatorProcess } from './emulator-process.js';

/** One target at a vendor's emulator: as a rotor policy names it, and as the baseline calls it. */
export interface RemoteTarget {
  /** The policy's `target:` value, a YAML flow mapping. */
  readonly targetYaml: string;
  /** Extra policy keys (YAML lines), e.g. Cloudflare's `verify:` block. */
  readonly extraPolicyYaml?: string;
  readonly issue: VendorIssue;
}

/**
 * A vendor whose emulator runs in the emulator process: rotor's connection block for it, the environment its
 * secret references read, and fresh targets (the same as test/providers' fixtures make in-process).
 */
export interface RemoteVendor {
  readonly providerId: string;
  readonly action: string;
  readonly env: Readonly<Record<string, string>>;
  /** The connection block's body, YAML lines at zero indentation, without `provider:`. */
  readonly connectionYaml: string;
  newTarget(name: string): Promise<RemoteTarget>;
}

function cloudflare(emulators: EmulatorProcess): RemoteVendor {
  const baseUrl = emulators.client('cloudflare', 'baseUrl');
  const accountId = emulators.client('cloudflare', 'accountId');
  const apiToken = emulators.client('cloudflare', 'apiToken');
  const accessUrl = emulators.client('cloudflare', 'accessUrl');
  return {
    providerId: 'cloudflare',
    action: 'rotate',
    env: { BENCH_CF_API_TOKEN: apiToken },
    connectionYaml: [
      `accountId: ${accountId}`,
      'apiToken: { env: BENCH_CF_API_TOKEN }',
      `baseUrl: ${baseUrl}`,
    ].join('\n'),
    newTarget: async (name) => {
      // A service token as the operator made it, seeded through the emulator's control route.
      const answer = await fetch(`${emulators.origin('cloudflare')}/__emulator/service-tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, duration: '8760h' }),
      });
      if (answer.status !== 201)
        throw new Error(`seeding a Cloudflare service token answered ${answer.status}`);
      const { id } = (await answer.json()) as { id: string };
      return {
        targetYaml: `{ serviceTokenId: ${id} }`,
        extraPolicyYaml: `verify: { url: ${accessUrl} }`,
        issue: { vendor: 'cloudflare', baseUrl, accountId, apiToken, serviceTokenId: id },
      };
    },
  };
}

function moov(emulators: EmulatorProcess): RemoteVendor {
  const baseUrl = emulators.client('moov', 'baseUrl');
  const publicKey = emulators.client('moov', 'publicKey');
  const secretKey = emulators.client('moov', 'secretKey');
  const scope = '/accounts.read /ping.read';
  return {
    providerId: 'moov',
    action: 'clientCredentials',
    env: { BENCH_MOOV_PUBLIC_KEY: publicKey, BENCH_MOOV_SECRET_KEY: secretKey },
    connectionYaml: [
      `baseUrl: ${baseUrl}`,
      'publicKey: { env: BENCH_MOOV_PUBLIC_KEY }',
      'secretKey: { env: BENCH_MOOV_SECRET_KEY }',
    ].join('\n'),
    newTarget: async () => ({
      targetYaml: `{ scope: "${scope}" }`,
      issue: { vendor: 'moov', baseUrl, publicKey, secretKey, scope },
    }),
  };
}

function tagoio(emulators: EmulatorProcess): RemoteVendor {
  const baseUrl = emulators.client('tagoio', 'baseUrl');
  const profileToken = emulators.client('tagoio', 'token');
  return {
    providerId: 'tagoio',
    action: 'rotate',
    env: { BENCH_TAGOIO_TOKEN: profileToken },
    connectionYaml: [`baseUrl: ${baseUrl}`, 'token: { env: BENCH_TAGOIO_TOKEN }'].join('\n'),
    newTarget: async (name) => ({
      targetYaml: `{ name: "${name} gateway", permission: write }`,
      issue: { vendor: 'tagoio', baseUrl, profileToken, name: `${name} gateway`, permission: 'write' },
    }),
  };
}

function telenor(emulators: EmulatorProcess): RemoteVendor {
  const baseUrl = emulators.client('telenor', 'baseUrl');
  const session = emulators.client('telenor', 'session');
  return {
    providerId: 'telenor',
    action: 'rotate',
    env: { BENCH_TELENOR_SESSION: session },
    connectionYaml: [`baseUrl: ${baseUrl}`, 'session: { env: BENCH_TELENOR_SESSION }'].join('\n'),
    newTarget: async (name) => ({
      targetYaml: `{ resource: /collections/${name}, write: false, tags: { team: platform } }`,
      issue: {
        vendor: 'telenor',
        baseUrl,
        session,
        resource: `/collections/${name}`,
        write: false,
        tags: { team: 'platform' },
      },
    }),
  };
}

/** The overhead scenario's vendors, in the order policies are dealt to them. */
export const REMOTE_VENDORS = ['cloudflare', 'moov', 'tagoio', 'telenor'] as const;
export type RemoteVendorId = (typeof REMOTE_VENDORS)[number];

const byId: Readonly<Record<RemoteVendorId, (emulators: EmulatorProcess) => RemoteVendor>> = {
  cloudflare,
  moov,
  tagoio,
  telenor,
};

export function remoteVendor(id: RemoteVendorId, emulators: EmulatorProcess): RemoteVendor {
  return byId[id](emulators);
}
