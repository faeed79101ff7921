import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RotorConfig } from '../../src/config/rotor-config.js';
import { env as baseEnv, load, validYaml } from './config-fixtures.js';

const RELOAD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const ACK_TOKEN = randomBytes(24).toString('base64url');
const env = {
  ...baseEnv,
  BILLING_RELOAD_SECRET: RELOAD_SECRET,
  BATCH_ACK_TOKEN: ACK_TOKEN,
  API_TOKEN: randomBytes(24).toString('base64url'),
  HORDE_SESSION: 'horde_session=abc',
};

/** An overlap policy (Telenor `rotate`: rotor revokes the displaced key) with lines added under it, as policies[2]. */
function withIngest(lines: string): string {
  const ingest = `
  - id: ingest
    connection: horde
    action: rotate
    target: { resource: /collections/17, write: false }
    schedule: { every: 30d }
    gracePeriod: 24h
${indented(lines)}
    secret: { id: prod/ingest }
`;
  return `${validYaml.replace('connections:\n', 'connections:\n  horde: { provider: telenor, session: { env: HORDE_SESSION } }\n')}${ingest}
api: { tokens: [{ env: API_TOKEN }] }
`;
}

/** The fixture's Cloudflare policy ci-runner (policies[0]) with its action replaced and lines added under it. */
function withCiRunner(lines: string, action: string): string {
  return withIngest('')
    .replace('    gracePeriod: 24h\n', `    gracePeriod: 24h\n${indented(lines)}\n`)
    .replace(
      'action: rotate\n    target: { serviceTokenId: f174',
      `action: ${action}\n    target: { serviceTokenId: f174`,
    );
}

const indented = (lines: string) =>
  lines
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

const billing = `
  - name: billing-api
    reload: { url: http://billing:8080/rotor/reload, secret: { env: BILLING_RELOAD_SECRET } }
    confirm: { poll: http://billing:8080/rotor/version }`;
const batch = `
  - name: batch
    confirm: { ack: { env: BATCH_ACK_TOKEN } }`;

async function configOf(yaml: string): Promise<RotorConfig> {
  const result = await load(yaml, { env });
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.config;
}

async function problemsOf(yaml: string, overrides: Record<string, string> = {}) {
  const result = await load(yaml, { env: { ...env, ...overrides } });
  if (result.ok) throw new Error('expected problems, the config loaded');
  return result.problems.map((problem) => [problem.path, problem.message] as const);
}

const ingest = (config: RotorConfig) => config.policies.find((policy) => policy.id === 'ingest');

describe("a policy's consumers", () => {
  it('load with their defaults: maxGrace 7 days (at least the grace period), hold when unconfirmed, the `versionId` field', async () => {
    const config = await configOf(
      withIngest(`consumers:${billing}${batch}
  - name: edge
    confirm: { poll: http://edge:8080/version, header: X-Secret-Version, every: 10s, timeout: 2s }
  - name: notifier
    reload: { url: https://notifier.internal/reload, secret: { env: BILLING_RELOAD_SECRET }, timeout: 3s, attempts: 2 }`),
    );
    const consumers = ingest(config)?.consumers;

    expect(consumers?.maxGraceMs).toBe(7 * 24 * 3_600_000);
    expect(consumers?.onUnconfirmed).toBe('hold');
    const [billingApi, batchJob, edge, notifier] = consumers?.list ?? [];
    expect(billingApi).toMatchObject({
      name: 'billing-api',
      reload: { url: 'http://billing:8080/rotor/reload', timeoutMs: 5_000, attempts: 8 },
      confirm: {
        kind: 'poll',
        url: 'http://billing:8080/rotor/version',
        field: 'versionId',
        everyMs: 30_000,
        timeoutMs: 5_000,
      },
    });
    expect(billingApi?.reload?.secret.reveal()).toBe(RELOAD_SECRET);
    expect(batchJob?.confirm?.kind).toBe('ack');
    expect(batchJob?.confirm?.kind === 'ack' && batchJob.confirm.token.reveal()).toBe(ACK_TOKEN);
    expect(batchJob?.reload).toBeUndefined();
    expect(edge?.confirm).toEqual({
      kind: 'poll',
      url: 'http://edge:8080/version',
      header: 'X-Secret-Version',
      everyMs: 10_000,
      timeoutMs: 2_000,
    });
    expect(notifier).toMatchObject({ reload: { timeoutMs: 3_000, attempts: 2 } });
    expect(notifier?.confirm).toBeUndefined();
    expect(config.policies.find((policy) => policy.id === 'ci-runner')?.consumers).toBeUndefined();
  });

  it('take maxGrace and onUnconfirmed from the policy', async () => {
    const config = await configOf(withIngest(`maxGrace: 2d\nonUnconfirmed: revoke\nconsumers:${batch}`));

    expect(ingest(config)?.consumers).toMatchObject({
      maxGraceMs: 2 * 24 * 3_600_000,
      onUnconfirmed: 'revoke',
    });
  });

  it.each([
    [
      'two consumers of one name',
      `consumers:${batch}${batch}`,
      'policies[2].consumers',
      'expected unique consumer names',
    ],
    [
      'a consumer with neither a reload hook nor a confirmation',
      'consumers:\n  - name: lonely',
      'policies[2].consumers[0]',
      'expected reload, confirm, or both',
    ],
    [
      'a poll reading a field and a header at once',
      'consumers:\n  - name: edge\n    confirm: { poll: http://edge:8080/version, field: versionId, header: X-Version }',
      'policies[2].consumers[0].confirm',
      'expected field or header, not both',
    ],
    [
      'a maxGrace shorter than the grace period',
      `maxGrace: 1h\nconsumers:${batch}`,
      'policies[2].maxGrace',
      "expected at least the policy's gracePeriod (86400000 ms)",
    ],
    [
      'a maxGrace without a consumer that confirms',
      'maxGrace: 2d\nconsumers:\n  - name: notifier\n    reload: { url: http://n:8080/reload, secret: { env: BILLING_RELOAD_SECRET } }',
      'policies[2].maxGrace',
      'applies only to a policy with a consumer that confirms',
    ],
    [
      'an onUnconfirmed without consumers',
      'onUnconfirmed: revoke',
      'policies[2].onUnconfirmed',
      'applies only to a policy with a consumer that confirms',
    ],
    [
      'credentials in a reload URL',
      'consumers:\n  - name: notifier\n    reload: { url: "http://user:pw@n:8080/reload", secret: { env: BILLING_RELOAD_SECRET } }',
      'policies[2].consumers[0].reload.url',
      'expected no user or password in the URL',
    ],
  ])('name the YAML path of %s', async (_case, lines, path, message) => {
    const problems = await problemsOf(withIngest(lines));

    expect(problems).toContainEqual([path, expect.stringContaining(message)]);
  });

  it('refuse a confirmation on an action that extends the credential it has (Cloudflare refresh)', async () => {
    const problems = await problemsOf(withCiRunner(`consumers:${batch}`, 'refresh'));

    expect(problems).toEqual([
      [
        'policies[0].consumers[0].confirm',
        'action "refresh" extends the credential it has: no credential is displaced, so there is nothing to confirm',
      ],
    ]);
  });

  it('refuse an ack consumer when the config has no api section to post to', async () => {
    const problems = await problemsOf(
      withIngest(`consumers:${batch}`).replace('api: { tokens: [{ env: API_TOKEN }] }\n', ''),
    );

    expect(problems).toEqual([
      [
        'policies[2].consumers[0].confirm.ack',
        'a consumer that confirms by ack posts to rotor’s HTTP API: configure an api: section',
      ],
    ]);
  });

  it('refuse maxGrace and onUnconfirmed on a native-grace action (Cloudflare rotate), naming the remedy', async () => {
    const problems = await problemsOf(
      withCiRunner(`maxGrace: 7d\nonUnconfirmed: revoke\nconsumers:${batch}`, 'rotate'),
    );

    expect(problems.map(([path]) => path)).toEqual(['policies[0].maxGrace', 'policies[0].onUnconfirmed']);
    expect(problems[0]?.[1]).toContain('a longer gracePeriod gives consumers more time');
  });

  it('refuse an ack token shorter than 24 characters, without showing it', async () => {
    const short = 'short-ack-token-1234';
    const problems = await problemsOf(withIngest(`consumers:${batch}`), { BATCH_ACK_TOKEN: short });

    expect(problems).toEqual([
      [
        'policies[2].consumers[0].confirm.ack',
        'expected a token of at least 24 characters (openssl rand -base64 32)',
      ],
    ]);
    expect(JSON.stringify(problems)).not.toContain(short);
  });

  it('refuse a reload secret that is not a Standard Webhooks signing secret, without showing it', async () => {
    const notSigning = 'plain-shared-secret-0123456789';
    const problems = await problemsOf(withIngest(`consumers:${billing}`), {
      BILLING_RELOAD_SECRET: notSigning,
    });

    expect(problems).toEqual([
      [
        'policies[2].consumers[0].reload.secret',
        'expected a Standard Webhooks signing secret: whsec_ followed by base64 (openssl rand -base64 32)',
      ],
    ]);
    expect(JSON.stringify(problems)).not.toContain(notSigning);
  });
});
