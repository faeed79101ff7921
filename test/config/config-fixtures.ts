import { randomBytes } from 'node:crypto';
import { type LoadOptions, loadConfig } from '../../src/config/load-config.js';
import { Secret } from '../../src/domain/secret.js';

export const journalKey = randomBytes(32).toString('base64');
export const apiToken = 'cf-admin-token-Zr8s2Qw9Lm4Xy7Pb3Nc6Vd1Tf5Gh0Jk';

export const validYaml = `
redis: { url: redis://127.0.0.1:6379, prefix: rotor }
journal: { keys: { k1: { env: ROTOR_JOURNAL_KEY } }, active: k1 }
sink: { type: aws-secrets-manager, region: eu-north-1 }
connections:
  cf-prod: { provider: cloudflare, accountId: 023e105f4ecef8ad9ca31a8372d0c353, apiToken: { env: CLOUDFLARE_API_TOKEN } }
  cf-zone: { provider: cloudflare, zoneId: 9a7806061c88ada191ed06f989cc3dac, apiToken: { file: /secrets/zone-token } }
policies:
  - id: ci-runner
    connection: cf-prod
    action: rotate
    target: { serviceTokenId: f174e90a-fafe-4643-bbbc-4a0ed4fc8415 }
    schedule: { cron: "0 3 * * 1", tz: Europe/Oslo, jitter: 10m }
    gracePeriod: 24h
    secret: { id: prod/ci/cloudflare-access }
  - id: deploy
    connection: cf-zone
    action: rotate
    target: { serviceTokenId: 5ad2f3c0-7b4e-4a55-9f0e-2b1c8d6e7a90 }
    schedule: { every: 1d }
    secret: { id: prod/deploy/cloudflare-access }
`;

export const env = { ROTOR_JOURNAL_KEY: journalKey, CLOUDFLARE_API_TOKEN: apiToken };
const files: Record<string, string> = { '/secrets/zone-token': 'zone-token-Hq2Wm8Rt5Yu1Io4Pa7Sd0Fg3Jk6\n' };

export function load(yaml: string, overrides: Partial<LoadOptions> = {}) {
  return loadConfig('rotor.yaml', {
    env,
    readFile: async (path) => {
      if (path === 'rotor.yaml') return yaml;
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return text;
    },
    awsSecretReader: () => ({
      read: async (secretId, key) => {
        if (secretId === 'prod/admin' && key === 'token') return Secret.of('from-aws-Kd8Fh2Ls5Qw1Ze7Xc4Vb9');
        throw new Error(`key "${key}" of AWS secret ${secretId} not found`);
      },
      close: () => undefined,
    }),
    nowMs: Date.parse('2026-11-24T00:00:00Z'),
    ...overrides,
  });
}
