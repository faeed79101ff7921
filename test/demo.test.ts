import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import type { RotorConfig } from '../src/config/rotor-config.js';
import { generateDemoSecrets } from '../src/demo/demo-secrets.js';
import { startRotor } from './support/cli-run.js';
import { eventually } from './support/eventually.js';
import { freePort } from './support/free-port.js';
import { leaksIn, testRedis } from './support/redis.js';

const bundled = new URL('../config/demo.yaml', import.meta.url);

let workDir: string;
let configFile: string;
let config: RotorConfig;
let redis: ReturnType<typeof testRedis>;
/**
 * The demo's admin secrets, in the shapes it generates them, under names of the test's own: `rotor demo` fills
 * the ROTOR_DEMO_* names with fresh values, which the test could not scan for.
 */
const adminSecrets: Record<string, string> = Object.fromEntries(
  Object.entries(generateDemoSecrets()).map(([name, value]) => [
    name.replace('ROTOR_DEMO_', 'DEMO_TEST_'),
    value,
  ]),
);

beforeAll(async () => {
  redis = testRedis();
  workDir = await mkdtemp(join(tmpdir(), 'rotor-demo-'));
  configFile = join(workDir, 'demo.yaml');
  // The bundled demo on this test's own Redis prefix and free ports; everything else as shipped.
  const template = (await readFile(bundled, 'utf8'))
    .replace('url: redis://127.0.0.1:6379', `url: ${redis.url}`)
    .replace('prefix: rotor-demo', `prefix: ${redis.prefix}`);
  let text = template;
  for (const port of new Set(template.match(/127\.0\.0\.1:478\d\d/g) ?? [])) {
    text = text.replaceAll(port, `127.0.0.1:${await freePort()}`);
  }
  text = text.replaceAll('{ env: ROTOR_DEMO_', '{ env: DEMO_TEST_');
  await writeFile(configFile, text);
  const loaded = await loadConfig(configFile, {
    env: adminSecrets,
    awsSecretReader: () => {
      throw new Error('the demo config has no awsSecret references');
    },
  });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  config = loaded.config;
});

/**
 * The secret members (as each provider names them) of every credential the demo stored in AWS so far, read
 * with the official AWS SDK from the demo's AWS emulator, by policy.
 */
async function storedSecrets(): Promise<Map<string, string[]>> {
  const { endpoint, region, credentials } = config.sink;
  if (endpoint === undefined) throw new Error('the demo config names the AWS emulator as sink.endpoint');
  const sm = new SecretsManagerClient({
    endpoint,
    region,
    credentials: {
      accessKeyId: credentials?.accessKeyId.reveal() ?? '',
      secretAccessKey: credentials?.secretAccessKey.reveal() ?? '',
    },
  });
  const found = new Map<string, string[]>();
  try {
    for (const policy of config.policies) {
      const { provider } = policy.connection;
      const listed = await sm.send(
        new ListSecretVersionIdsCommand({ SecretId: policy.secret.id, IncludeDeprecated: true }),
      );
      const values: string[] = [];
      for (const { VersionId } of listed.Versions ?? []) {
        const read = await sm.send(new GetSecretValueCommand({ SecretId: policy.secret.id, VersionId }));
        const { rotor: _provenance, ...document } = JSON.parse(read.SecretString ?? '{}') as Record<
          string,
          unknown
        >;
        values.push(...provider.secretsOf(provider.schemas.credential.parse(document)));
      }
      found.set(policy.id, values);
    }
  } finally {
    sm.destroy();
  }
  return found;
}

afterAll(async () => {
  await redis.cleanup();
  await rm(workDir, { recursive: true, force: true });
});

describe('rotor demo', () => {
  it('rotates, refreshes and revokes against the bundled emulators, one line per step, never a secret value of any of its providers, and stops cleanly on Ctrl-C', async () => {
    const child = startRotor(['demo', '--config', configFile], { env: { ...process.env, ...adminSecrets } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = once(child, 'exit');

    await eventually(
      'a committed rotation, a committed refresh, revoked Moov, TagoIO and Telenor tokens, and the TagoIO consumer reloaded and confirmed',
      () =>
        /demo-ci-runner\s+commit\s+done {2}· AWS version [0-9a-f-]{36}/.test(output) &&
        /demo-deploy-expiry\s+commit/.test(output) &&
        /demo-iot-token\s+revoke\s+displaced credential revoked/.test(output) &&
        /demo-gateway-auth\s+revoke\s+displaced credential revoked/.test(output) &&
        /demo-gateway-auth\s+reload\s+consumer reloaded the secret {2}· AWS version [0-9a-f-]{36}/.test(
          output,
        ) &&
        /demo-gateway-auth\s+confirm\s+consumer confirmed the new version/.test(output) &&
        /demo-payments-token\s+revoke\s+displaced credential revoked/.test(output)
          ? true
          : undefined,
      60_000,
    );
    // Read before Ctrl-C: the demo's AWS emulator stops with it.
    const issued = await storedSecrets().finally(() => child.kill('SIGINT'));
    const [code] = await exited;

    expect(code).toBe(0);
    expect(output).toMatch(/stopped\.\n$/);
    const ciRunnerSteps = [...output.matchAll(/demo-ci-runner\s+(\w+)/g)].map((match) => match[1]);
    expect(ciRunnerSteps.slice(0, 6)).toEqual(['issue', 'journal', 'stage', 'verify', 'promote', 'commit']);
    expect(output).not.toMatch(/"level"/);
    // The TagoIO token's revoke waited for its consumer: it confirmed the new version first.
    expect(output.search(/demo-gateway-auth\s+confirm/)).toBeLessThan(
      output.search(/demo-gateway-auth\s+revoke/),
    );
    // No secret of any provider the demo runs is printed, in any encoding: the admin secrets, and every
    // credential the demo rotated into AWS (each policy has some).
    for (const policy of config.policies) expect(issued.get(policy.id)?.length, policy.id).toBeGreaterThan(0);
    const secrets = [...Object.values(adminSecrets), ...[...issued.values()].flat()];
    expect(leaksIn(secrets, [['the demo output', output]])).toEqual([]);
  });
});
